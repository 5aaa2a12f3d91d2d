/**
 * One reconciler per Novita account, the way teams outgrow one key: each account has its own client
 * (its own API key and base URL), its own record namespace (a store prefix) and therefore its own lock
 * key (`{prefix}:lock`). Account A's run reads only A's records and A's listing, and never waits for
 * B's lock; B's records are never read, let alone written, by A's run.
 *
 * Why a prefix per account and not one shared prefix: a reconciler treats every record it reads as one
 * of its account's, so a record of account B read by A's run would look obsolete (B's instances are
 * not in A's listing). With a shared store you would need a `scope` per account instead (see
 * docs/deployment.md); separate prefixes make the mistake impossible.
 *
 * Part of: examples/ops/bullmq/main.ts
 */
import type { Redis } from 'ioredis';
import { createReconciler, type ReconcilerEvent, type ReconcilerLogger, type Reconciler, type SyncPolicyInput } from 'novita-reconciler';
import { createNovitaClient } from 'novita-reconciler/novita';
import { createRedisLock, createRedisStore } from 'novita-reconciler/redis';

/** One Novita account this worker reconciles. */
export interface NovitaAccount {
  /** A short name, used in job data and logs: `research`, `inference`. */
  id: string;
  /** The account's API key. */
  apiKey: string;
  /** @default `NOVITA_API_BASE_URL`, else Novita's own API */
  baseUrl?: string;
  /** The account's record namespace in Redis: the store prefix, and so its lock key. Never shared. */
  prefix: string;
}

/** What {@link accountReconcilers} needs besides the accounts. */
export interface AccountReconcilerOptions {
  /** The Redis the stores use (not one of BullMQ's connections). */
  redis: Redis;
  /** One policy for every account. @default the package defaults */
  policy?: SyncPolicyInput;
  /** Called with each account's id to give its reconciler a logger (pino: `(id) => logger.child({ account: id })`). */
  logger?: (account: string) => ReconcilerLogger;
  /** Receives every account's events, with the account's id. */
  onEvent?: (account: string, event: ReconcilerEvent) => void;
}

/** A reconciler per account id. Throws on two accounts with one id or one prefix. */
export function accountReconcilers(accounts: readonly NovitaAccount[], options: AccountReconcilerOptions): Map<string, Reconciler> {
  const reconcilers = new Map<string, Reconciler>();
  const prefixes = new Set<string>();
  for (const account of accounts) {
    if (reconcilers.has(account.id)) throw new Error(`two Novita accounts are named ${account.id}`);
    // Two accounts on one prefix would read each other's records as obsolete: refuse it.
    if (prefixes.has(account.prefix)) throw new Error(`Novita accounts must not share the store prefix ${account.prefix}`);
    prefixes.add(account.prefix);
    const store = createRedisStore({ redis: options.redis, prefix: account.prefix });
    const { onEvent, logger } = options;
    reconcilers.set(
      account.id,
      createReconciler({
        store,
        lock: createRedisLock({ store }),
        // The key is the account's own, never NOVITA_API_KEY; without a baseUrl of its own, the client reads
        // NOVITA_API_BASE_URL (how the whole worker is pointed at a fake Novita), else Novita's API.
        novitaClient: createNovitaClient({ apiKey: account.apiKey, ...(account.baseUrl ? { baseUrl: account.baseUrl } : {}) }),
        // BullMQ runs the schedule; the reconciler's own timer stays off.
        policy: { ...options.policy, enableAutomaticSync: false },
        ...(logger ? { logger: logger(account.id) } : {}),
        ...(onEvent ? { onEvent: (event: ReconcilerEvent) => onEvent(account.id, event) } : {}),
      }),
    );
  }
  return reconcilers;
}
