/**
 * A plausible fleet to seed the fake with (what `novita-reconcile fake-novita --instances <n>` serves):
 * mostly running, about one in five exited, one in ten still pulling its image, on a few GPU products,
 * created over the last week. The same count and clock give the same fleet, so a demo can be described.
 */
import { ConfigError } from '../../errors.js';
import { checkOptionKeys, integerOption } from '../../options.js';
import type { FakeInstanceSeed } from './fake-instance.js';

/** Options of {@link demoFleet}. */
export interface DemoFleetOptions {
  /** "Now", epoch milliseconds: every timestamp of the fleet is at or before it. @default Date.now() */
  nowMs?: number;
}

const PRODUCTS = [
  { productId: '4090.16c62g', productName: 'RTX 4090 24GB', clusterId: 'us-ca-6' },
  { productId: 'a100.24c125g', productName: 'A100 SXM 80GB', clusterId: 'us-tx-2' },
  { productId: 'h100.32c250g', productName: 'H100 SXM 80GB', clusterId: 'eu-de-1' },
  { productId: 'l40s.16c93g', productName: 'L40S 48GB', clusterId: 'us-ca-6' },
] as const;

const HOUR = 3_600_000;
const WEEK_HOURS = 7 * 24;

/**
 * `count` instance seeds with realistic, consistent timestamps: `createdAt <= lastStartedAt <= now`,
 * and `lastStoppedAt` set (after the start) only for the exited ones.
 *
 * @example
 * ```ts
 * const fake = await startFakeNovita({ instances: demoFleet(25) });
 * ```
 */
export function demoFleet(count: number, options: DemoFleetOptions = {}): FakeInstanceSeed[] {
  const { nowMs } = checkOptionKeys<DemoFleetOptions>('demoFleet', options, ['nowMs']);
  const total = integerOption('count', count, 0, 0, 100_000);
  if (nowMs !== undefined && (typeof nowMs !== 'number' || !Number.isFinite(nowMs)))
    throw new ConfigError('nowMs', 'must be epoch milliseconds', { received: nowMs });
  const now = nowMs ?? Date.now();
  const width = String(total).length;
  return Array.from({ length: total }, (_, index) => {
    const product = PRODUCTS[index % PRODUCTS.length] as (typeof PRODUCTS)[number];
    // Spread over the week, newest last, with a few minutes between neighbours so none share a second.
    const ageMs = Math.round(((total - index) / Math.max(1, total)) * WEEK_HOURS * HOUR) + 5 * 60_000;
    const createdAtMs = now - ageMs;
    const startedAtMs = createdAtMs + Math.round(Math.min(3 * 60_000, ageMs / 4));
    const name = `fake-gpu-${String(index + 1).padStart(width, '0')}`;
    const seed: FakeInstanceSeed = {
      ...product,
      name,
      createdAtMs,
      gpuNum: index % 7 === 0 ? 2 : 1,
      billingMode: index % 6 === 5 ? 'spot' : 'onDemand',
    };
    if (index % 10 === 9) return { ...seed, status: 'pulling' };
    if (index % 5 === 3)
      return {
        ...seed,
        status: 'exited',
        lastStartedAtMs: startedAtMs,
        lastStoppedAtMs: Math.round(startedAtMs + (now - startedAtMs) / 2),
      };
    return { ...seed, status: 'running', lastStartedAtMs: startedAtMs };
  });
}
