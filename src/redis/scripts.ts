import type { Cluster, Redis, Result } from 'ioredis';

/*
 * The Lua scripts of the Redis store and lock. Each read-decide-write runs as one script, so no other
 * client can slip a write between the check and the write. ioredis `defineCommand` sends EVALSHA and
 * falls back to EVAL on NOSCRIPT, so a `SCRIPT FLUSH` or a server restart never breaks a write.
 *
 * Versions are `redis.sha1hex` of the stored text: any change by any writer, even a raw SET by code
 * that does not use this library, changes the version.
 */

/**
 * Reads records with their versions.
 * KEYS: the record keys to read (all in one hash slot).
 * ARGV: none.
 * Reply: three items per key, in order: a state (`v` a string value, `n` no such key, `w` a key
 * holding another type), the version (SHA-1 hex of the text for `v`, the error for `w`, `` for `n`),
 * and the text (`` unless `v`).
 */
const READ_RECORDS = `
local reply = {}
for i = 1, #KEYS do
  local text = redis.pcall('GET', KEYS[i])
  if type(text) == 'table' and text.err then
    reply[#reply + 1] = 'w'
    reply[#reply + 1] = text.err
    reply[#reply + 1] = ''
  elseif text == false then
    reply[#reply + 1] = 'n'
    reply[#reply + 1] = ''
    reply[#reply + 1] = ''
  else
    reply[#reply + 1] = 'v'
    reply[#reply + 1] = redis.sha1hex(text)
    reply[#reply + 1] = text
  end
end
return reply
`;

/**
 * Applies a chunk of conditional writes, each on its own, atomically with its index entry and its
 * audit entry, after checking the fence once for the whole chunk.
 * KEYS[1]: the index set; KEYS[2]: the fence (lock) key; KEYS[3]: the audit stream;
 * KEYS[4..]: one record key per write, in order.
 * ARGV[1]: the fence token, or `` for no fence; ARGV[2]: the audit stream's approximate maximum
 * length, `0` for no audit; ARGV[3]: the run id for audit entries; ARGV[4]: `1` to keep the index, `0`
 * for a layout without one; then six items per write: op (`put` | `delete`), record id, expected
 * version (`` for a put that creates), new text (`` for a delete), `1` when the put's record is
 * terminated, and the reason for the audit entry.
 * Reply: `fenced` alone when the fence no longer holds (nothing written); else `applied` followed by
 * two items per write: the outcome (`ok` | `conflict` | `missing`) and the version after the write
 * (the new version for an ok put, the current version for a conflict, `` otherwise).
 *
 * A put whose stored text already equals its new text is `ok` whatever version it expected: that is
 * the same put re-sent after a reconnect (or the same change made by someone else), and the stored
 * record is what the caller wants. A delete of a key that is gone is `missing`, which callers take as
 * done, so a re-sent delete never reports a false conflict either.
 */
const APPLY_WRITES = `
local token = ARGV[1]
if token ~= '' and redis.call('GET', KEYS[2]) ~= token then
  return {'fenced'}
end
local auditMax = tonumber(ARGV[2])
local runId = ARGV[3]
local useIndex = ARGV[4] == '1'
local reply = {'applied'}
local function audit(kind, id, reason, before, beforeVersion, after)
  if auditMax > 0 then
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', auditMax, '*',
      'kind', kind, 'id', id, 'runId', runId, 'reason', reason,
      'record', before, 'version', beforeVersion, 'after', after)
  end
end
local function wasTerminated(text)
  local ok, value = pcall(cjson.decode, text)
  return ok and type(value) == 'table' and value.status == 'terminated'
end
for i = 1, #KEYS - 3 do
  local base = 4 + (i - 1) * 6
  local op, id, expected, text, terminating, reason =
    ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4], ARGV[base + 5], ARGV[base + 6]
  local key = KEYS[3 + i]
  local current = redis.pcall('GET', key)
  local outcome, version = 'conflict', ''
  if type(current) == 'table' and current.err then
    outcome = 'conflict'
  elseif op == 'put' then
    local newVersion = redis.sha1hex(text)
    if current == false then
      if expected == '' then
        redis.call('SET', key, text)
        if useIndex then redis.call('SADD', KEYS[1], id) end
        outcome, version = 'ok', newVersion
      else
        outcome = 'missing'
      end
    else
      local currentVersion = redis.sha1hex(current)
      if currentVersion == newVersion then
        if useIndex then redis.call('SADD', KEYS[1], id) end
        outcome, version = 'ok', newVersion
      elseif expected ~= '' and currentVersion == expected then
        redis.call('SET', key, text)
        if useIndex then redis.call('SADD', KEYS[1], id) end
        if terminating == '1' and not wasTerminated(current) then
          audit('mark-terminated', id, reason, current, currentVersion, text)
        end
        outcome, version = 'ok', newVersion
      else
        outcome, version = 'conflict', currentVersion
      end
    end
  else
    if current == false then
      if useIndex then redis.call('SREM', KEYS[1], id) end
      outcome = 'missing'
    else
      local currentVersion = redis.sha1hex(current)
      if currentVersion == expected then
        redis.call('DEL', key)
        if useIndex then redis.call('SREM', KEYS[1], id) end
        audit('remove', id, reason, current, currentVersion, '')
        outcome = 'ok'
      else
        outcome, version = 'conflict', currentVersion
      end
    end
  end
  reply[#reply + 1] = outcome
  reply[#reply + 1] = version
end
return reply
`;

/**
 * Stores a record unconditionally (the application's own `put`), with its index entry.
 * KEYS[1]: the index set; KEYS[2]: the record key.
 * ARGV[1]: the record id; ARGV[2]: the text; ARGV[3]: `1` to keep the index.
 * Reply: the new version.
 */
const PUT_RECORD = `
redis.call('SET', KEYS[2], ARGV[2])
if ARGV[3] == '1' then redis.call('SADD', KEYS[1], ARGV[1]) end
return redis.sha1hex(ARGV[2])
`;

/**
 * Deletes a record unconditionally (the application's own `delete`), with its index entry.
 * KEYS[1]: the index set; KEYS[2]: the record key.
 * ARGV[1]: the record id; ARGV[2]: `1` to keep the index.
 * Reply: 1 when the key existed, else 0.
 */
const DELETE_RECORD = `
local existed = redis.call('DEL', KEYS[2])
if ARGV[2] == '1' then redis.call('SREM', KEYS[1], ARGV[1]) end
return existed
`;

/**
 * Extends a lock lease, only for its owner.
 * KEYS[1]: the lock key. ARGV[1]: the owner token; ARGV[2]: the lease time in ms.
 * Reply: 1 when renewed, 0 when the key is gone or held by another owner.
 */
const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/**
 * Releases a lock, only for its owner.
 * KEYS[1]: the lock key. ARGV[1]: the owner token.
 * Reply: 1 when released, 0 when the key is gone or held by another owner.
 */
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** @internal The scripts, by the command name they get on the client. */
export const SCRIPTS = {
  novitaReconcilerReadRecords: { lua: READ_RECORDS, numberOfKeys: undefined },
  novitaReconcilerApplyWrites: { lua: APPLY_WRITES, numberOfKeys: undefined },
  novitaReconcilerPutRecord: { lua: PUT_RECORD, numberOfKeys: 2 },
  novitaReconcilerDeleteRecord: { lua: DELETE_RECORD, numberOfKeys: 2 },
  novitaReconcilerRenewLock: { lua: RENEW_LOCK, numberOfKeys: 1 },
  novitaReconcilerReleaseLock: { lua: RELEASE_LOCK, numberOfKeys: 1 },
} as const;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** See READ_RECORDS in novita-reconciler's redis/scripts.ts. */
    novitaReconcilerReadRecords(numberOfKeys: number, ...keys: string[]): Result<string[], Context>;
    /** See APPLY_WRITES in novita-reconciler's redis/scripts.ts. */
    novitaReconcilerApplyWrites(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Result<string[], Context>;
    /** See PUT_RECORD in novita-reconciler's redis/scripts.ts. */
    novitaReconcilerPutRecord(index: string, key: string, id: string, text: string, useIndex: '0' | '1'): Result<string, Context>;
    /** See DELETE_RECORD in novita-reconciler's redis/scripts.ts. */
    novitaReconcilerDeleteRecord(index: string, key: string, id: string, useIndex: '0' | '1'): Result<number, Context>;
    /** See RENEW_LOCK in novita-reconciler's redis/scripts.ts. */
    novitaReconcilerRenewLock(key: string, token: string, ttlMs: number): Result<number, Context>;
    /** See RELEASE_LOCK in novita-reconciler's redis/scripts.ts. */
    novitaReconcilerReleaseLock(key: string, token: string): Result<number, Context>;
  }
}

/**
 * @internal Defines the scripts on a client once. The client may be the user's own: the command
 * names carry this package's name so they cannot clash with the user's commands.
 */
export function defineScripts(redis: Redis | Cluster): void {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    if (typeof (redis as unknown as Record<string, unknown>)[name] === 'function') continue;
    redis.defineCommand(name, script.numberOfKeys === undefined ? { lua: script.lua } : { lua: script.lua, numberOfKeys: script.numberOfKeys });
  }
}
