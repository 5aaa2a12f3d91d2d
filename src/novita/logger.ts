/**
 * The logger the client writes to: pino's signature (`logger.warn(fields, message)`), so a pino or
 * bunyan logger fits as it is. Fields never carry the API key, request bodies or credentials.
 */
export interface NovitaLogger {
  /** Every request and its outcome. */
  debug(fields: Record<string, unknown>, message: string): void;
  /** Notable events, such as the detected `pageNum` convention. */
  info(fields: Record<string, unknown>, message: string): void;
  /** Retries, rate limiting, and listings that could not be shown complete. */
  warn(fields: Record<string, unknown>, message: string): void;
}

/** A logger that drops everything: the default. */
export const silentLogger: NovitaLogger = {
  debug() {},
  info() {},
  warn() {},
};
