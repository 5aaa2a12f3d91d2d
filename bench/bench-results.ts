/** The shape of the bench's JSON file (bench/results/*.json), which commits are compared by. */
import type { FleetVariant } from './fleet.js';
import type { HeapCheckResult } from './heap-check.js';
import type { SizeResult } from './measure-size.js';

/** `--fleet`: one fleet everywhere, or the steady fleet everywhere plus the upgrade fleet at 10k. */
export type FleetChoice = FleetVariant | 'both';

/** The JSON file: one bench run. */
export interface BenchResults {
  /** Bumped when a field changes meaning. */
  schema: 1;
  commit: string;
  /** Uncommitted changes outside bench/results when the bench ran. */
  dirty: boolean;
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  setup: {
    fleet: FleetChoice;
    novitaLatencyMs: number;
    redisDelayMs: number;
    redisUrl: 'own redis-server' | 'REDIS_URL';
    redisVersion: string;
  };
  sizes: SizeResult[];
  heapCheck: HeapCheckResult | null;
  durationS: number;
}
