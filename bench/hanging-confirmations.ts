/**
 * Issue 7.3: how long a run takes when Novita's get-one endpoint hangs, for 150 obsolete candidates
 * (`npx tsx bench/hanging-confirmations.ts [timeoutMs]`, default 1500). Before the circuit breaker and
 * the budget: 229 s at 1.5 s, about 39 minutes at the client's default 15 s.
 */
import { createMemoryStore, createReconciler, type InstanceRecord } from '../src/index.js';
import { createNovitaClient } from '../src/novita/index.js';
import { startFakeNovita } from '../src/testing/fake-novita/index.js';
const DAY = 86_400_000;
const timeoutMs = Number(process.argv[2] ?? 1500);
const fake = await startFakeNovita({ defaultPageSize: 50, maxPageSize: 50 });
fake.fault({ endpoint: 'get', kind: 'hang', times: Number.POSITIVE_INFINITY });
const records: InstanceRecord[] = Array.from({ length: 150 }, (_, i) => ({
  id: `r${i}`,
  novitaInstanceId: `cc${i.toString(16).padStart(14, '0')}`,
  status: 'running',
  timestamps: { created: new Date(Date.now() - DAY).toISOString(), started: new Date(Date.now() - DAY).toISOString() },
}));
const reconciler = createReconciler({
  store: createMemoryStore({ records }),
  novitaClient: createNovitaClient({ apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs }),
  policy: { safetyMinRecords: 1000 },
});
const t = Date.now();
const report = await reconciler.sync();
console.log(
  JSON.stringify({ timeoutMs, seconds: (Date.now() - t) / 1000, unverified: report.unverified, confirmations: report.confirmations }),
);
await fake.close();
