/**
 * The Redis store's destructive guards (the store port's optional capability): the window budget of
 * `policy.destructiveBudget` and the hold switch, kept in Redis under the store's hash tag so that every
 * replica on the prefix shares them, and a run's read-and-reserve is one Lua script
 * (lua/reserveDestructive-n.lua): two replicas reserving at once never get more than the budget together.
 */
import type {
  DestructiveGuardStore,
  DestructiveHold,
  DestructiveRelease,
  DestructiveReservation,
  DestructiveReservationRequest,
} from '../core/ports/store.js';
import { ConfigError, StoreUnavailableError, throwIfAborted } from '../errors.js';
import { untilAborted } from './abortable.js';
import type { RedisKeyLayout } from './keys.js';
import type { RecordScripts } from './scripts.js';
import type { Cluster, Redis } from 'ioredis';

/** @internal What the guards need of their store. */
export interface DestructiveGuardContext {
  redis: Redis | Cluster;
  scripts: RecordScripts;
  keys: RedisKeyLayout;
  auditMaxLength: number;
  call<T>(operation: string, run: () => Promise<T>): Promise<T>;
}

const DAY_MS = 86_400_000;
/** The audit stream's length when the store has no audit option of its own (the option's default). */
const DEFAULT_AUDIT_MAX_LENGTH = 10_000;
/** Lines of records a run held back itself that one audit entry lists (the counts say how many in all). */
const AUDIT_LINES = 1_000;

/** @internal The five methods of {@link DestructiveGuardStore} on Redis. */
export function createDestructiveGuards(context: DestructiveGuardContext): DestructiveGuardStore {
  const { redis, scripts, keys, auditMaxLength, call } = context;

  // A person's hold is always recorded (the CLI's store has no audit option), in the capped stream.
  const holdAuditMax = auditMaxLength > 0 ? auditMaxLength : DEFAULT_AUDIT_MAX_LENGTH;

  const holdOf = (fields: readonly unknown[]): DestructiveHold => ({
    reason: String(fields[0] ?? ''),
    by: String(fields[1] ?? ''),
    at: String(fields[2] ?? ''),
  });

  return {
    async reserveDestructive(request: DestructiveReservationRequest, options = {}): Promise<DestructiveReservation> {
      throwIfAborted(options.signal);
      const now = request.now.getTime();
      if (!Number.isFinite(now)) throw new ConfigError('now', 'must be a valid Date', { received: request.now });
      const budget = request.budget;
      const windowMs = budget?.windowMs ?? 0;
      const heldBack = request.heldBack ?? [];
      const args: (string | number)[] = [
        request.reserve ? '1' : '0',
        request.runId,
        budget ? String(budget.max) : '',
        String(now),
        String(now - windowMs),
        // Reservations stay a while after they leave the window: a replica whose policy has a longer
        // window (a rolling change) still counts them.
        String(now - Math.max(2 * windowMs, DAY_MS)),
        String(Math.max(2 * windowMs, DAY_MS)),
        auditMaxLength,
        heldBack
          .slice(0, AUDIT_LINES)
          .map((held) => `${held.guard} ${held.id}`)
          .join('\n'),
        String(heldBack.length),
        ...request.ids,
      ];
      const reply = await call('destructive budget', () =>
        untilAborted(
          scripts.reserveDestructive([keys.destructiveBudget, keys.hold, keys.audit], args),
          options.signal,
          'destructive budget',
        ),
      );
      if (!Array.isArray(reply) || reply.length !== 6)
        throw new StoreUnavailableError(`Redis store: destructive budget: unexpected script reply ${JSON.stringify(reply)}`);
      const [held, reason, by, at, used, granted] = (reply as unknown[]).map((item) => String(item));
      return {
        hold: held === '1' ? holdOf([reason, by, at]) : null,
        usedBefore: Number(used),
        granted: Number(granted),
      };
    },

    async releaseDestructive(release: DestructiveRelease, options = {}): Promise<void> {
      throwIfAborted(options.signal);
      if (release.ids.length === 0) return;
      const members = release.ids.map((id) => `${release.runId} ${id}`);
      await call('destructive budget release', () =>
        untilAborted(redis.zrem(keys.destructiveBudget, ...members), options.signal, 'destructive budget release'),
      );
    },

    async readHold(options = {}): Promise<DestructiveHold | null> {
      throwIfAborted(options.signal);
      const [exists, fields] = await call('hold read', async () => {
        const present = await untilAborted(redis.exists(keys.hold), options.signal, 'hold read');
        if (present === 0) return [0, []] as const;
        return [present, await redis.hmget(keys.hold, 'reason', 'by', 'at')] as const;
      });
      return exists === 0 ? null : holdOf(fields);
    },

    async setHold(hold: DestructiveHold, options = {}): Promise<void> {
      throwIfAborted(options.signal);
      await call('hold', () =>
        untilAborted(
          scripts.setHold([keys.hold, keys.audit], [String(hold.reason ?? ''), String(hold.by ?? ''), String(hold.at), holdAuditMax]),
          options.signal,
          'hold',
        ),
      );
    },

    async clearHold(options = {}): Promise<DestructiveHold | null> {
      throwIfAborted(options.signal);
      const reply = await call('hold release', () =>
        untilAborted(scripts.clearHold([keys.hold, keys.audit], [holdAuditMax, options.by ?? '']), options.signal, 'hold release'),
      );
      if (!Array.isArray(reply))
        throw new StoreUnavailableError(`Redis store: hold release: unexpected script reply ${JSON.stringify(reply)}`);
      return reply[0] === '1' ? holdOf(reply.slice(1)) : null;
    },
  };
}
