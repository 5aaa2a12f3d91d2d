/**
 * pino lines from the `novita-reconcile` command: a `--config` module whose `logger` the command gives
 * the reconciler instead of its own stderr lines. The environment still supplies the rest (the store
 * from REDIS_URL, the client from NOVITA_API_KEY, the SYNC_* policy).
 *
 * From this repository, after `npm run build`, with REDIS_URL and NOVITA_API_KEY set:
 *
 * Run:
 *   node --import tsx dist/cli.js --config examples/ops/pino-cli-config.ts --dry-run
 *
 * In a project that installed the package, with this file copied beside your code:
 * `node --import tsx node_modules/.bin/novita-reconcile --config ./pino-cli-config.ts`. (A `.ts` module
 * needs a loader such as tsx; written as `.mjs`, `novita-reconcile --config ./pino-cli-config.mjs`
 * loads it as it is.) The lines go to stderr: stdout is the command's summary, or
 * with `--json` its report, and stays parseable.
 */
import type { CliConfig } from 'novita-reconciler/cli';
import pino from 'pino';

export default {
  logger: pino({ base: { service: 'novita-reconcile' } }, pino.destination({ dest: 2, sync: true })),
} satisfies CliConfig;
