import type { Cluster, Redis } from 'ioredis';
import { ConfigError } from '../errors.js';

/**
 * Which Lua the store's scripts are written for:
 * - `'standard'`: Redis, Redis Cluster and servers that speak their Lua (`redis.sha1hex`, `cjson`).
 *   A server lacking either makes the first store call reject with a `ConfigError` naming `scripts`.
 * - `'portable'`: in-process fakes such as ioredis-mock, whose Lua lacks both. The scripts then compute
 *   SHA-1 in plain Lua (the same versions as on Redis), and are sent whole
 *   with every call (`EVAL`), which costs nothing in process but bandwidth on a real server.
 * - `'auto'`: `'portable'` for an ioredis-mock client, recognised by its own fields without sending it
 *   anything, else `'standard'`. A real server is never probed, so it always gets the standard scripts.
 */
export type RedisScriptsOption = 'auto' | 'standard' | 'portable';

/** @internal The flavour a client gets. */
export type ScriptFlavour = 'standard' | 'portable';

const SCRIPT_OPTIONS: readonly RedisScriptsOption[] = ['auto', 'standard', 'portable'];

/**
 * @internal Whether a client is an ioredis-mock instance (or its Cluster). ioredis-mock sets these
 * fields in its constructor (ioredis-mock 8: `customCommands`, `shaScripts`, the data key `keyData`,
 * a shared `context` with `modifiedKeyEvents`); a real ioredis client has none of them.
 */
export function isIoredisMock(client: Redis | Cluster): boolean {
  const candidate = client as unknown as Record<string, unknown>;
  const context = candidate.context as Record<string, unknown> | undefined;
  return (
    typeof candidate.keyData === 'string' &&
    typeof candidate.customCommands === 'object' &&
    candidate.customCommands !== null &&
    typeof candidate.shaScripts === 'object' &&
    typeof context === 'object' &&
    context !== null &&
    typeof context.modifiedKeyEvents === 'object'
  );
}

/** @internal Resolves the `scripts` option for a client. */
export function resolveScriptFlavour(option: unknown, client: Redis | Cluster, field = 'scripts'): ScriptFlavour {
  if (option !== undefined && !SCRIPT_OPTIONS.includes(option as RedisScriptsOption)) {
    throw new ConfigError(field, `must be one of ${SCRIPT_OPTIONS.map((value) => `"${value}"`).join(', ')}`, { received: option });
  }
  if (option === 'standard' || option === 'portable') return option;
  return isIoredisMock(client) ? 'portable' : 'standard';
}

/** @internal The error for a server whose Lua lacks what the standard scripts need. */
export function luaFeatureMissing(feature: string): ConfigError {
  return new ConfigError(
    'scripts',
    `the Redis server's Lua has no ${feature}, which the store's scripts need: use a Redis (or Redis-compatible) server that has it; for ioredis-mock or another in-process fake, pass scripts: 'portable'`,
  );
}
