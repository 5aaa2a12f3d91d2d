import type { Cluster, Redis, Result } from 'ioredis';
import { buildLuaScript, type LuaScript, withScriptLines } from './lua-scripts.js';
import { luaFeatureMissing, type ScriptFlavour } from './script-flavour.js';

/*
 * How the scripts reach a client. Each read-decide-write runs as one script, so no other client can
 * slip a write between the check and the write. With the standard scripts, ioredis `defineCommand`
 * sends EVALSHA and falls back to EVAL on NOSCRIPT, so a `SCRIPT FLUSH` or a server restart never
 * breaks a write. The portable scripts go through EVAL: ioredis-mock's `defineCommand` cannot take a
 * number of keys that changes from call to call.
 */

/** A store script in both flavours. */
const recordScript = (file: string): Record<ScriptFlavour, LuaScript> => ({
  standard: buildLuaScript(file, 'standard'),
  portable: buildLuaScript(file, 'portable'),
});

/** @internal The store scripts (lua/*.lua) by the command name they get on the client. */
export const RECORD_COMMANDS = {
  novitaReconcilerReadRecords: recordScript('readRecords-n.lua'),
  novitaReconcilerApplyWrites: recordScript('applyWrites-n.lua'),
  novitaReconcilerPutRecord: recordScript('putRecord-2.lua'),
  novitaReconcilerDeleteRecord: recordScript('deleteRecord-2.lua'),
  novitaReconcilerReserveDestructive: recordScript('reserveDestructive-n.lua'),
  novitaReconcilerSetHold: recordScript('setHold-2.lua'),
  novitaReconcilerClearHold: recordScript('clearHold-2.lua'),
} as const;

/** @internal The lock scripts (lua/*.lua), which run as they are everywhere. */
export const LOCK_COMMANDS = {
  novitaReconcilerRenewLock: buildLuaScript('renewLock-1.lua'),
  novitaReconcilerReleaseLock: buildLuaScript('releaseLock-1.lua'),
  novitaReconcilerRecordCompletedRun: buildLuaScript('recordCompletedRun-2.lua'),
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** See novita-reconciler's src/redis/lua/readRecords-n.lua. */
    novitaReconcilerReadRecords(numberOfKeys: number, ...keys: string[]): Result<unknown, Context>;
    /** See novita-reconciler's src/redis/lua/applyWrites-n.lua. */
    novitaReconcilerApplyWrites(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<unknown, Context>;
    /** See novita-reconciler's src/redis/lua/putRecord-2.lua. */
    novitaReconcilerPutRecord(index: string, key: string, id: string, text: string, useIndex: '0' | '1'): Result<unknown, Context>;
    /** See novita-reconciler's src/redis/lua/deleteRecord-2.lua. */
    novitaReconcilerDeleteRecord(index: string, key: string, id: string, useIndex: '0' | '1'): Result<unknown, Context>;
    /** See novita-reconciler's src/redis/lua/reserveDestructive-n.lua. */
    novitaReconcilerReserveDestructive(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<unknown, Context>;
    /** See novita-reconciler's src/redis/lua/setHold-2.lua. */
    novitaReconcilerSetHold(
      hold: string,
      audit: string,
      reason: string,
      by: string,
      at: string,
      auditMax: number,
    ): Result<unknown, Context>;
    /** See novita-reconciler's src/redis/lua/clearHold-2.lua. */
    novitaReconcilerClearHold(hold: string, audit: string, auditMax: number, by: string): Result<unknown, Context>;
    /** See novita-reconciler's src/redis/lua/renewLock-1.lua. */
    novitaReconcilerRenewLock(key: string, token: string, ttlMs: number): Result<number, Context>;
    /** See novita-reconciler's src/redis/lua/releaseLock-1.lua. */
    novitaReconcilerReleaseLock(key: string, token: string): Result<number, Context>;
    /** See novita-reconciler's src/redis/lua/recordCompletedRun-2.lua. */
    novitaReconcilerRecordCompletedRun(key: string, completedRunKey: string, token: string, atMs: number): Result<number, Context>;
  }
}

/** @internal The store scripts of one client. Replies are checked by the caller. */
export interface RecordScripts {
  readRecords(keys: readonly string[]): Promise<unknown>;
  applyWrites(keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  putRecord(index: string, key: string, id: string, text: string, useIndex: '0' | '1'): Promise<unknown>;
  deleteRecord(index: string, key: string, id: string, useIndex: '0' | '1'): Promise<unknown>;
  reserveDestructive(keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  setHold(keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
  clearHold(keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

type Commands = Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;

function defineOnce(redis: Redis | Cluster, name: string, { lua, numberOfKeys }: LuaScript): void {
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
    for (const [name, script] of Object.entries(RECORD_COMMANDS)) defineOnce(redis, name, script.standard);
    // Looked up on every call, so a command wrapped after the store was created is the one used.
    run = (name, keys, args) => {
      const fixed = RECORD_COMMANDS[name].standard.numberOfKeys !== undefined;
      return (client[name] as (...args: unknown[]) => Promise<unknown>)(...(fixed ? [] : [keys.length]), ...keys, ...args);
    };
  } else {
    run = (name, keys, args) => client.eval(RECORD_COMMANDS[name].portable.lua, keys.length, ...keys, ...args);
  }
  const checked = async (name: keyof typeof RECORD_COMMANDS, keys: readonly string[], args: readonly (string | number)[]) => {
    let reply: unknown;
    try {
      reply = await run(name, keys, args);
    } catch (error) {
      // A Lua error names the line of the built text: say which file and line it came from.
      throw withScriptLines(error, RECORD_COMMANDS[name][flavour]);
    }
    return checkLuaFeatures(reply);
  };
  return {
    readRecords: (keys) => checked('novitaReconcilerReadRecords', keys, []),
    applyWrites: (keys, args) => checked('novitaReconcilerApplyWrites', keys, args),
    putRecord: (index, key, id, text, useIndex) => checked('novitaReconcilerPutRecord', [index, key], [id, text, useIndex]),
    deleteRecord: (index, key, id, useIndex) => checked('novitaReconcilerDeleteRecord', [index, key], [id, useIndex]),
    reserveDestructive: (keys, args) => checked('novitaReconcilerReserveDestructive', keys, args),
    setHold: (keys, args) => checked('novitaReconcilerSetHold', keys, args),
    clearHold: (keys, args) => checked('novitaReconcilerClearHold', keys, args),
  };
}

/** @internal Defines the lock scripts on a client once. */
export function defineLockScripts(redis: Redis | Cluster): void {
  for (const [name, script] of Object.entries(LOCK_COMMANDS)) defineOnce(redis, name, script);
}

/** @internal Throws the ConfigError of a `lua-missing` reply (a server without `redis.sha1hex` or `cjson`). */
export function checkLuaFeatures(reply: unknown): unknown {
  if (Array.isArray(reply) && reply[0] === 'lua-missing') throw luaFeatureMissing(String(reply[1]));
  return reply;
}
