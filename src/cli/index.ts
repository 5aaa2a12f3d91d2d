/**
 * novita-reconciler/cli: the types of a `novita-reconcile` config module (`--config`), for
 * `export default { ... } satisfies CliConfig`. The command itself is the package's `bin`.
 */
export type { CliConfig, CliConfigExport } from './cli-config-module.js';
