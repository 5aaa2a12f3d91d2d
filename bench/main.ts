/**
 * `npm run bench`: the end-to-end benchmark (docs/benchmark.md). A real redis-server behind a latency
 * proxy, the fake Novita over loopback HTTP with a latency on every request, the fleet mix of
 * bench/fleet.ts, default options; 1k and 10k entries, 100k with `--full` (or BENCH_FULL=1).
 *
 *   npm run bench                     # 1k + 10k, the heap check
 *   npm run bench -- --full           # plus 100k
 *   npm run bench -- --sizes 1000 --runs 2 --no-heap-check
 *   npm run bench -- --fleet steady   # leave out the write-heavy upgrade fleet (measured at 10k by default)
 *
 * Prints a table, writes bench/results/<date>-<commit>.json, bench/results/latest.json and
 * bench/results/latest.md (the table for the README).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { readEnv } from '../src/options.js';
import { spawnRedis, type RedisProcess } from '../test/setup/spawn-redis.js';
import { startHelper } from './child-rpc.js';
import { runHeapCheck, type HeapCheckResult } from './heap-check.js';
import type { FleetVariant } from './fleet.js';
import type { MeasureSizeHandlers, SizeResult } from './measure-size.js';
import type { BenchResults, FleetChoice } from './bench-results.js';
import { consoleTable, markdownTable } from './report-format.js';

const DEFAULT_RUNS: Record<number, number> = { 1000: 5, 10000: 3, 100000: 1 };
/** The issue's targets at 10k need a second concurrency; measuring it elsewhere would only cost time. */
const EXTRA_CONCURRENCY_AT: Record<number, number[]> = { 10000: [16] };
/** The write-heavy first run (the `upgrade` fleet) matters where the issue's targets are set. */
const UPGRADE_FLEET_AT = new Set([10_000]);
/** The naive loop awaits every record one by one: about 50 s at 10k, so never beyond. */
const NAIVE_UP_TO = 10_000;

const { values: args } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    fleet: { type: 'string', default: 'both' },
    sizes: { type: 'string' },
    runs: { type: 'string' },
    'novita-latency': { type: 'string', default: '50' },
    'redis-delay': { type: 'string', default: '1' },
    'no-heap-check': { type: 'boolean', default: false },
    'no-naive': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});

function numberArg(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number >= ${min}, got ${JSON.stringify(text)}`);
  return value;
}

const full = args.full || readEnv(process.env, 'BENCH_FULL') === '1';
const sizes = args.sizes
  ? args.sizes.split(',').map((text) => numberArg('sizes', text, 100))
  : full
    ? [1_000, 10_000, 100_000]
    : [1_000, 10_000];
const novitaLatencyMs = numberArg('novita-latency', args['novita-latency'], 0);
const redisDelayMs = numberArg('redis-delay', args['redis-delay'], 0);
if (args.fleet !== 'steady' && args.fleet !== 'upgrade' && args.fleet !== 'both')
  throw new Error(`--fleet must be steady, upgrade or both, got ${JSON.stringify(args.fleet)}`);
const fleet: FleetChoice = args.fleet;
const fleetsAt = (size: number): FleetVariant[] =>
  fleet === 'both' ? (UPGRADE_FLEET_AT.has(size) ? ['steady', 'upgrade'] : ['steady']) : [fleet];
const runsOverride = args.runs === undefined ? undefined : numberArg('runs', args.runs, 1);

function git(...command: string[]): string {
  try {
    return execFileSync('git', command, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const fromEnv = readEnv(process.env, 'REDIS_URL');
  let server: RedisProcess | undefined;
  if (fromEnv === undefined) server = await spawnRedis();
  const redisUrl = fromEnv ?? (server as RedisProcess).url;
  const admin = new Redis(redisUrl);
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? 'unknown';
  admin.disconnect();
  console.error(
    `novita-reconciler bench: sizes ${sizes.join(', ')}, fleet ${fleet}; Novita latency ${novitaLatencyMs} ms per request, Redis delay ${redisDelayMs} ms each way; Redis ${fromEnv ? 'from REDIS_URL' : `spawned at ${redisUrl}`}`,
  );

  const results: SizeResult[] = [];
  let heapCheck: HeapCheckResult | null = null;
  try {
    for (const size of sizes) {
      const runs = runsOverride ?? DEFAULT_RUNS[size] ?? (size > 10_000 ? 1 : 3);
      console.error(`size ${size}: ${runs} run${runs === 1 ? '' : 's'}`);
      const helper = await startHelper<MeasureSizeHandlers>('./measure-size.ts', ['--expose-gc']);
      try {
        results.push(
          await helper.call('measure', {
            size,
            fleets: fleetsAt(size),
            runs,
            redisUrl,
            novitaLatencyMs,
            redisDelayMs,
            concurrencies: EXTRA_CONCURRENCY_AT[size] ?? [],
            naive: size <= NAIVE_UP_TO && !args['no-naive'],
          }),
        );
      } finally {
        await helper.stop();
      }
    }
    if (!args['no-heap-check']) {
      console.error('heap check: one 50k sync under --max-old-space-size=256');
      heapCheck = await runHeapCheck(redisUrl);
    }
  } finally {
    await server?.stop();
  }

  const commit = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--', '.', ':(exclude)bench/results').length > 0;
  const cpuList = cpus();
  const bench: BenchResults = {
    schema: 1,
    commit,
    dirty,
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    setup: { fleet, novitaLatencyMs, redisDelayMs, redisUrl: fromEnv ? 'REDIS_URL' : 'own redis-server', redisVersion },
    sizes: results,
    heapCheck,
    durationS: Math.round((performance.now() - started) / 1000),
  };

  console.log(consoleTable(bench));
  if (!args['no-write']) {
    const folder = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(folder, { recursive: true });
    const name = `${bench.date.slice(0, 10)}-${commit}${dirty ? '-dirty' : ''}${sizes.includes(100_000) ? '-full' : ''}.json`;
    const json = `${JSON.stringify(bench, null, 2)}\n`;
    writeFileSync(`${folder}${name}`, json);
    writeFileSync(`${folder}latest.json`, json);
    writeFileSync(`${folder}latest.md`, `${markdownTable(bench)}\n`);
    console.log(`\nwrote bench/results/${name}, bench/results/latest.json and bench/results/latest.md (${bench.durationS} s)`);
  }
}

await main();
