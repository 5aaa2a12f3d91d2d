/**
 * The one option-checking rule every factory and handler of this package uses: an options object
 * must be a plain object, an unknown key is a {@link ConfigError} naming it (with the nearest valid
 * name when there is one), and each known value is checked with one wording. Empty environment
 * variables count as unset everywhere ({@link readEnv}).
 *
 * Depends only on errors.ts and the boolean rules (core/config/boolean-rules.ts, on errors.ts only), so every layer may use it.
 */
import { optionBoolean } from './core/config/boolean-rules.js';
import { ConfigError } from './errors.js';

/**
 * Checks that `options` is an object whose keys are all in `known`, and returns it typed. `owner`
 * names the function in messages (`createRedisStore`), `path` prefixes the field of nested options
 * (`retry` gives `retry.retriez`).
 *
 * @internal
 */
export function checkOptionKeys<T extends object>(owner: string, options: unknown, known: readonly string[], path = ''): T {
  const where = path === '' ? 'options' : path;
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(where, `${owner} options must be an object`, { received: options });
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const suggestion = nearestName(key, known);
    throw new ConfigError(
      path === '' ? key : `${path}.${key}`,
      `is not an option of ${owner}${suggestion === undefined ? '.' : `; did you mean "${suggestion}"?`} Known options: ${known.join(', ')}`,
      suggestion === undefined ? {} : { suggestion },
    );
  }
  return options as T;
}

/** The closest name in `candidates` to `name` (case-insensitive edit distance), when it is close enough to be a typo. @internal */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(2, Math.floor(name.length / 3));
  if (best !== undefined && bestDistance <= allowed) return best;
  // A shortened name (`retentionDays` for `obsoleteRetentionDays`) is a typo of the longer one.
  return lower.length >= 4 ? candidates.find((candidate) => candidate.toLowerCase().includes(lower)) : undefined;
}

function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > 8) return Math.abs(a.length - b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** A real boolean, or `fallback` when undefined (the options' boolean rule, core/config/boolean-rules.ts). @internal */
export const booleanOption = optionBoolean;

/** A whole number in `[min, max]`, or `fallback` when undefined. @internal */
export function integerOption(field: string, value: unknown, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      field,
      max === Number.MAX_SAFE_INTEGER ? `must be a whole number of ${min} or more` : `must be a whole number from ${min} to ${max}`,
      { received: value },
    );
  }
  return value;
}

/** A finite number in `[min, max]`, or `fallback` when undefined. @internal */
export function numberOption(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(field, `must be a number from ${min} to ${max}`, { received: value });
  }
  return value;
}

/** A non-empty string, or `undefined` when undefined. @internal */
export function stringOption(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new ConfigError(field, 'must be a non-empty string', { received: value });
  return value;
}

/** A function, or `undefined` when undefined. @internal */
export function functionOption<F extends (...args: never[]) => unknown>(field: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ConfigError(field, 'must be a function', { received: value });
  return value as F;
}

/** An `AbortSignal`, or `undefined` when undefined. @internal */
export function signalOption(field: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new ConfigError(field, 'must be an AbortSignal', { received: value });
  return value;
}

/** An object that has each of `methods` as a function. @internal */
export function requireMethods<T>(field: string, value: unknown, methods: readonly string[]): T {
  if (typeof value !== 'object' || value === null) {
    throw new ConfigError(field, `must be an object with ${methods.join(', ')}`, { received: value });
  }
  for (const method of methods) {
    const member = (value as Record<string, unknown>)[method];
    if (typeof member !== 'function') throw new ConfigError(`${field}.${method}`, 'must be a function', { received: member });
  }
  return value as T;
}

/**
 * The value of an environment variable, trimmed, with an empty (or whitespace-only) value counted as
 * unset, the way the CLI, the docs and `.env.example` treat it (`REDIS_URL=" redis://..."` from a
 * hand-edited `.env` works).
 *
 * @internal
 */
export function readEnv(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
