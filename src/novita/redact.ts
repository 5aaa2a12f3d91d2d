/**
 * Keeping secrets out of everything this client hands back or logs: the API key (scrubbed from any
 * text), and instance credentials wherever a Novita body (or a request body sent to Novita) carries
 * them. The typed instance is built by allowlist (v1-schemas.ts); this file redacts what is kept
 * verbatim: `raw` (opt-in) and the fake's request log.
 */

/** The placeholder that replaces a secret. */
export const REDACTED = '[redacted]';

// Keys whose values are credentials wherever they appear in a Novita body.
const SECRET_KEY = /pass(word|wd)?$|secret|token|credential|api_?key|private_?key|^auth(orization)?$|^cookie$/i;

// Named because the pattern does not catch them: `imageAuth` is the registry's `user:password`.
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'imageauth',
  'sshpassword',
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'set-cookie',
]);

/** Whether the value under `key` is a credential, by name. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase()) || SECRET_KEY.test(key);
}

/**
 * A deep copy of a Novita body with every credential replaced by {@link REDACTED}: values under a
 * secret key ({@link isSecretKey}: `sshPassword`, `imageAuth`, `authorization`, passwords and tokens
 * inside connect components, ...), every `envs` value (the user's environment often holds tokens),
 * and passwords or tokens inside URLs ({@link redactUrlSecrets}).
 */
export function redactCredentials(value: unknown): unknown {
  return redactValue(value, 0);
}

function redactValue(value: unknown, depth: number): unknown {
  // Novita bodies are shallow; a deep structure is not worth walking (and could be cyclic in a test double).
  if (depth > 12) return REDACTED;
  if (typeof value === 'string') return redactUrlSecrets(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretKey(key) && inner !== '' && inner !== null && inner !== undefined) copy[key] = REDACTED;
    else if (key === 'envs' && Array.isArray(inner)) copy[key] = inner.map(redactEnv);
    else copy[key] = redactValue(inner, depth + 1);
  }
  return copy;
}

function redactEnv(env: unknown): unknown {
  if (typeof env !== 'object' || env === null) return REDACTED;
  const { value, ...rest } = env as Record<string, unknown>;
  const kept = redactValue(rest, 1) as Record<string, unknown>;
  return value === undefined ? kept : { ...kept, value: REDACTED };
}

const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;
const URL_SECRET_PARAM = /([?&#](?:[a-z0-9_-]*(?:token|password|passwd|pwd|secret|api_?key|auth)[a-z0-9_-]*)=)[^&#\s]*/gi;

/**
 * `text` with the secrets a URL can carry replaced by {@link REDACTED}: user and password
 * (`https://user:pass@host`) and query parameters named like a credential (Jupyter's `?token=`).
 */
export function redactUrlSecrets(text: string): string {
  if (!text.includes('://') && !text.includes('=')) return text;
  return text.replace(URL_USERINFO, `$1${REDACTED}@`).replace(URL_SECRET_PARAM, `$1${REDACTED}`);
}

/**
 * `text` with every occurrence of each secret replaced by {@link REDACTED}. A last line of defence for
 * messages that quote something Novita or the network stack said.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    if (secret.length >= 4) scrubbed = scrubbed.split(secret).join(REDACTED);
  }
  return scrubbed;
}
