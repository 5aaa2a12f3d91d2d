/**
 * How each source spells a boolean, written once: the environment accepts `true/false`, `1/0`, `yes/no`
 * and `on/off` (any case); an HTTP request only the strings `"true"` and `"false"` (so `?dryRun=` and
 * `dryRun=off` are a 400); options in code only real booleans.
 */
import { ConfigError } from '../../errors.js';

const ENV_TRUE = ['true', '1', 'yes', 'on'];
const ENV_FALSE = ['false', '0', 'no', 'off'];

/** An environment variable's boolean (already trimmed, not empty); `ConfigError` naming the variable otherwise. */
export function envBoolean(variable: string, text: string, raw: string = text): boolean {
  const lowered = text.toLowerCase();
  if (ENV_TRUE.includes(lowered)) return true;
  if (ENV_FALSE.includes(lowered)) return false;
  throw new ConfigError(variable, 'must be true or false (also accepted: 1/0, yes/no, on/off)', { received: raw, envVariable: variable });
}

/** The two strings an HTTP request (query string or form) may use for a boolean. */
export const HTTP_BOOLEAN_STRINGS = ['true', 'false'] as const;

/** An HTTP request's boolean string: `"true"` or `"false"`, nothing else. */
export function httpBoolean(text: (typeof HTTP_BOOLEAN_STRINGS)[number]): boolean {
  return text === 'true';
}

/** An option given in code: a real boolean, or `fallback` when undefined; `ConfigError` naming the option otherwise. */
export function optionBoolean(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(field, 'must be true or false', { received: value });
  return value;
}
