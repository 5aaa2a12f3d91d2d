import type { Cluster, Redis, Result } from 'ioredis';
import { RECORD_COMPLETED_RUN, RELEASE_LOCK, RENEW_LOCK } from './lock-scripts.js';
import { PORTABLE_PRELUDE, STANDARD_PRELUDE } from './lua-preludes.js';
import { APPLY_WRITES, DELETE_RECORD, PUT_RECORD, READ_RECORDS } from './record-scripts.js';
import { luaFeatureMissing, type ScriptFlavour } from './script-flavour.js';

/*
 * How the scripts reach a client. Each read-decide-write runs as one script, so no other client can
 * slip a write between the check and the write. With the standard scripts, ioredis `defineCommand`
 * sends EVALSHA and falls back to EVAL on NOSCRIPT, so a `SCRIPT FLUSH` or a server restart never
 * breaks a write. The portable scripts go through EVAL: ioredis-mock's `defineCommand` cannot take a
 * number of keys that changes from call to call.
 */

/** @internal The store scripts by the command name they get on the client. */
export const RECORD_COMMANDS = {
  novitaReconcilerReadRecords: { lua: STANDARD_PRELUDE + READ_RECORDS, portable: PORTABLE_PRELUDE + READ_RECORDS, numberOfKeys: undefined },
  novitaReconcilerApplyWrites: { lua: STANDARD_PRELUDE + APPLY_WRITES, portable: PORTABLE_PRELUDE + APPLY_WRITES, numberOfKeys: undefined },
  novitaReconcilerPutRecord: { lua: STANDARD_PRELUDE + PUT_RECORD, portable: PORTABLE_PRELUDE + PUT_RECORD, numberOfKeys: 2 },
  novitaReconcilerDeleteRecord: { lua: STANDARD_PRELUDE + DELETE_RECORD, portable: PORTABLE_PRELUDE + DELETE_RECORD, numberOfKeys: 2 },
} as const;

/** @internal The lock scripts, which run as they are everywhere. */
export const LOCK_COMMANDS = {
  novitaReconcilerRenewLock: { lua: RENEW_LOCK, numberOfKeys: 1 },
  novitaReconcilerReleaseLock: { lua: RELEASE_LOCK, numberOfKeys: 1 },
  novitaReconcilerRecordCompletedRun: { lua: RECORD_COMPLETED_RUN, numberOfKeys: 2 },
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** See READ_RECORDS in novita-reconciler's redis/record-scripts.ts. */
    novitaReconcilerReadRecords(numberOfKeys: number, ...keys: string[]): Result<unknown, Context>;
    /** See APPLY_WRITES in novita-reconciler's redis/record-scripts.ts. */
    novitaReconcilerApplyWrites(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<unknown, Context>;
    /** See PUT_RECORD in novita-reconciler's redis/record-scripts.ts. */
    novitaReconcilerPutRecord(index: string, key: string, id: string, text: string, useIndex: '0' | '1'): Result<unknown, Context>;
    /** See DELETE_RECORD in novita-reconciler's redis/record-scripts.ts. */
    novitaReconcilerDeleteRecord(index: string, key: string, id: string, useIndex: '0' | '1'): Result<unknown, Context>;
    /** See RENEW_LOCK in novita-reconciler's redis/lock-scripts.ts. */
    novitaReconcilerRenewLock(key: string, token: string, ttlMs: number): Result<number, Context>;
    /** See RELEASE_LOCK in novita-reconciler's redis/lock-scripts.ts. */
    novitaReconcilerReleaseLock(key: string, token: string): Result<number, Context>;
    /** See RECORD_COMPLETED_RUN in novita-reconciler's redis/lock-scripts.ts. */
    novitaReconcilerRecordCompletedRun(key: string, completedRunKey: string, token: string, atMs: number): Result<number, Context>;
  }
}

/** @internal The store scripts of one client. Replies are checked by the caller. */
export interface RecordScripts {
  readRecords(keys: readonly string[]): Promise<unknown>;
  applyWrites(keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  putRecord(index: string, key: string, id: string, text: string, useIndex: '0' | '1'): Promise<unknown>;
  deleteRecord(index: string, key: string, id: string, useIndex: '0' | '1'): Promise<unknown>;
}

type Commands = Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;

function defineOnce(redis: Redis | Cluster, name: string, lua: string, numberOfKeys: number | undefined): void {
  if (typeof (redis as unknown as Commands)[name] === 'function') return;
  redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
}

/**
 * @internal The store scripts on a client, in the given flavour. The client may be the user's own:
 * the command names carry this package's name so they cannot clash with the user's commands. Every
 * reply first goes through {@link checkLuaFeatures}.
 */
export function recordScripts(redis: Redis | Cluster, flavour: ScriptFlavour): RecordScripts {
  const client = redis as unknown as Commands & { eval(lua: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown> };
  let run: (name: keyof typeof RECORD_COMMANDS, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;
  if (flavour === 'standard') {
    for (const [name, script] of Object.entries(RECORD_COMMANDS)) defineOnce(redis, name, script.lua, script.numberOfKeys);
    // Looked up on every call, so a command wrapped after the store was created is the one used.
    run = (name, keys, args) => {
      const fixed = RECORD_COMMANDS[name].numberOfKeys !== undefined;
      return (client[name] as (...args: unknown[]) => Promise<unknown>)(...(fixed ? [] : [keys.length]), ...keys, ...args);
    };
  } else {
    run = (name, keys, args) => client.eval(RECORD_COMMANDS[name].portable, keys.length, ...keys, ...args);
  }
  const checked = async (name: keyof typeof RECORD_COMMANDS, keys: readonly string[], args: readonly (string | number)[]) =>
    checkLuaFeatures(await run(name, keys, args));
  return {
    readRecords: (keys) => checked('novitaReconcilerReadRecords', keys, []),
    applyWrites: (keys, args) => checked('novitaReconcilerApplyWrites', keys, args),
    putRecord: (index, key, id, text, useIndex) => checked('novitaReconcilerPutRecord', [index, key], [id, text, useIndex]),
    deleteRecord: (index, key, id, useIndex) => checked('novitaReconcilerDeleteRecord', [index, key], [id, useIndex]),
  };
}

/** @internal Defines the lock scripts on a client once. */
export function defineLockScripts(redis: Redis | Cluster): void {
  for (const [name, script] of Object.entries(LOCK_COMMANDS)) defineOnce(redis, name, script.lua, script.numberOfKeys);
}

/** @internal Throws the ConfigError of a `lua-missing` reply (a server without `redis.sha1hex` or `cjson`). */
export function checkLuaFeatures(reply: unknown): unknown {
  if (Array.isArray(reply) && reply[0] === 'lua-missing') throw luaFeatureMissing(String(reply[1]));
  return reply;
}
