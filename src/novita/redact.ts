/**
 * Keeping secrets out of everything this client hands back or logs: the API key (scrubbed from any
 * text), and instance credentials (`sshPassword`, passwords inside connect components, `envs` values).
 */

/** The placeholder that replaces a secret. */
export const REDACTED = '[redacted]';

// Keys whose values are credentials wherever they appear in a Novita body.
const SECRET_KEY = /pass(word|wd)?$|secret|token|credential|api_?key|private_?key/i;

/**
 * A deep copy of a Novita body with every credential replaced by {@link REDACTED}. Novita's get
 * response carries `sshPassword` and passwords inside the connect components; `envs` values are the
 * user's own environment and often hold tokens, so they are redacted too.
 */
export function redactCredentials(value: unknown): unknown {
  return redactValue(value, 0);
}

function redactValue(value: unknown, depth: number): unknown {
  // Novita bodies are shallow; a deep structure is not worth walking (and could be cyclic in a test double).
  if (depth > 12) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEY.test(key) && inner !== '' && inner !== null && inner !== undefined) copy[key] = REDACTED;
    else if (key === 'envs' && Array.isArray(inner)) copy[key] = inner.map(redactEnv);
    else copy[key] = redactValue(inner, depth + 1);
  }
  return copy;
}

function redactEnv(env: unknown): unknown {
  if (typeof env !== 'object' || env === null) return REDACTED;
  const { value, ...rest } = env as Record<string, unknown>;
  return value === undefined ? rest : { ...rest, value: REDACTED };
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
