/**
 * What a run is compared with, measured by doing it over the same latency:
 *
 * - the sequential floor: every listing page in turn (plain `fetch` + `JSON.parse`), then every record
 *   read in pipelined batches of 500, then the run's writes in pipelined batches of 100. No
 *   confirmation, no check: the I/O of a run with nothing overlapped and nothing wasted.
 * - the naive loop, as the seed system did it: the listing page by page, then per record one `GET`,
 *   one `getInstance` for each record absent from the listing, and one write per change, each awaited
 *   before the next.
 *
 * Both decide with the default status map's two statuses the fleet uses, and retention of 7 days.
 */
import type { Redis } from 'ioredis';
import type { BenchRecord } from './fleet.js';
import { PAGE_SIZE } from './fleet.js';
import type { StoreKeys } from './redis-fixture.js';

/** Where the baselines read and write. */
export interface BaselineTarget {
  novitaUrl: string;
  apiKey: string;
  /** The connection through the latency proxy. */
  redis: Redis;
  keys: StoreKeys;
  now: number;
}

/** What a baseline did. */
export interface BaselineResult {
  pages: number;
  records: number;
  confirmations: number;
  writes: number;
}

const RETENTION_MS = 7 * 86_400_000;
const LOCAL_STATUS: Record<string, string> = { running: 'running', exited: 'stopped' };

async function readListing(target: BaselineTarget): Promise<{ statuses: Map<string, string>; pages: number }> {
  const statuses = new Map<string, string>();
  let pages = 0;
  let total = Infinity;
  for (let pageNum = 1; (pageNum - 1) * PAGE_SIZE < total; pageNum += 1) {
    const response = await fetch(`${target.novitaUrl}/gpu/instances?pageSize=${PAGE_SIZE}&pageNum=${pageNum}`, {
      headers: { authorization: `Bearer ${target.apiKey}` },
    });
    if (!response.ok) throw new Error(`listing page ${pageNum}: HTTP ${response.status}`);
    const page = (await response.json()) as { instances: Array<{ id: string; status: string }>; total: number };
    for (const instance of page.instances) statuses.set(instance.id, instance.status);
    total = page.total;
    pages += 1;
  }
  return { statuses, pages };
}

type Change = { op: 'put'; record: BenchRecord } | { op: 'delete'; id: string };

/** The change a run makes to `record`, given the listing; `'confirm'` when it hinges on a confirmation. */
function decide(record: BenchRecord, statuses: Map<string, string>, now: number): { change?: Change; confirm: boolean } {
  const listed = statuses.get(record.novitaInstanceId);
  if (listed !== undefined) {
    const status = LOCAL_STATUS[listed] ?? record.status;
    if (status === record.status && listed === record.novitaStatus) return { confirm: false };
    return { change: { op: 'put', record: { ...record, status, novitaStatus: listed } }, confirm: false };
  }
  if (record.status !== 'terminated') {
    const terminated = new Date(now).toISOString();
    return {
      change: {
        op: 'put',
        record: {
          ...record,
          status: 'terminated',
          timestamps: { ...record.timestamps, terminated },
          terminationReason: 'instance-not-found',
        },
      },
      confirm: true,
    };
  }
  const since = Date.parse(record.timestamps.terminated ?? '');
  if (now - since > RETENTION_MS) return { change: { op: 'delete', id: record.id }, confirm: true };
  return { confirm: false };
}

/** The sequential floor. Writes the run's changes: reseed before running anything else. */
export async function sequentialFloor(target: BaselineTarget): Promise<BaselineResult> {
  const { keys } = target;
  const { statuses, pages } = await readListing(target);
  const ids = await target.redis.smembers(keys.index);
  const changes: Change[] = [];
  for (let start = 0; start < ids.length; start += 500) {
    const batch = ids.slice(start, start + 500);
    const pipeline = target.redis.pipeline();
    for (const id of batch) pipeline.get(keys.record(id));
    const replies = (await pipeline.exec()) ?? [];
    for (const [error, text] of replies) {
      if (error || typeof text !== 'string') continue;
      const { change } = decide(JSON.parse(text) as BenchRecord, statuses, target.now);
      if (change) changes.push(change);
    }
  }
  for (let start = 0; start < changes.length; start += 100) {
    const pipeline = target.redis.pipeline();
    for (const change of changes.slice(start, start + 100)) {
      if (change.op === 'put') pipeline.set(keys.record(change.record.id), JSON.stringify(change.record));
      else pipeline.del(keys.record(change.id)).srem(keys.index, change.id);
    }
    await pipeline.exec();
  }
  return { pages, records: ids.length, confirmations: 0, writes: changes.length };
}

/** The naive loop. Writes the run's changes: reseed before running anything else. */
export async function naiveLoop(target: BaselineTarget): Promise<BaselineResult> {
  const { keys } = target;
  const { statuses, pages } = await readListing(target);
  const ids = await target.redis.smembers(keys.index);
  let confirmations = 0;
  let writes = 0;
  for (const id of ids) {
    const text = await target.redis.get(keys.record(id));
    if (text === null) continue;
    const record = JSON.parse(text) as BenchRecord;
    const { change, confirm } = decide(record, statuses, target.now);
    if (!change) continue;
    if (confirm) {
      confirmations += 1;
      const response = await fetch(`${target.novitaUrl}/gpu/instance?instanceId=${encodeURIComponent(record.novitaInstanceId)}`, {
        headers: { authorization: `Bearer ${target.apiKey}` },
      });
      const body = (await response.json()) as { reason?: string };
      if (response.status !== 400 || body.reason !== 'RESOURCE_NOT_FOUND') continue;
    }
    if (change.op === 'put') await target.redis.set(keys.record(id), JSON.stringify(change.record));
    else await target.redis.multi().del(keys.record(id)).srem(keys.index, id).exec();
    writes += 1;
  }
  return { pages, records: ids.length, confirmations, writes };
}
