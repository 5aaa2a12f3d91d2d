/** CPU of parsing one listing page of 100 instances (`npx tsx bench/page-parse.ts`): validation and JSON.parse alone. */
import { readFileSync } from 'node:fs';
import { parseV1ListPage } from '../src/novita/v1-schemas.js';
const page1 = JSON.parse(readFileSync(new URL('../test/fixtures/novita/list-instances.page1.json', import.meta.url), 'utf8'));
const template = page1.instances[0];
const instances = Array.from({ length: 100 }, (_, i) => ({ ...template, id: `${i.toString(16).padStart(16, '0')}`, name: `job-${i}` }));
const text = JSON.stringify({ instances, total: 10000 });
for (let i = 0; i < 20; i++) parseV1ListPage(JSON.parse(text));
const t = process.hrtime.bigint();
const N = 200;
for (let i = 0; i < N; i++) parseV1ListPage(JSON.parse(text));
const ms = Number(process.hrtime.bigint() - t) / 1e6 / N;
const t2 = process.hrtime.bigint();
for (let i = 0; i < N; i++) JSON.parse(text);
const ms2 = Number(process.hrtime.bigint() - t2) / 1e6 / N;
console.log(`per page of 100: parse+validate ${ms.toFixed(2)} ms, JSON.parse alone ${ms2.toFixed(2)} ms, bytes ${text.length}`);
