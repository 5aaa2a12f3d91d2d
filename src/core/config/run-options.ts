/**
 * The one run-options shape, from the HTTP handler to the run: {@link SyncRunOptions} (the report's
 * `options`), its names in one list, its defaults, and the single-flight key derived from that list.
 * A new option added to `SyncRunOptions` but not to {@link RUN_OPTION_NAMES} fails to compile, so it
 * can never be left out of the key (test/core/config/run-options.test.ts checks the key at run time too).
 */
import type { SyncRunOptions } from '../../report.js';
import { optionBoolean } from './boolean-rules.js';

/** Every run option's name, in the order of the single-flight key. */
export const RUN_OPTION_NAMES = ['dryRun', 'handleObsoleteInstances', 'forceSync'] as const satisfies readonly (keyof SyncRunOptions)[];

/** The name of one run option. */
export type RunOptionName = (typeof RUN_OPTION_NAMES)[number];

// Compiles only while every field of SyncRunOptions is named in RUN_OPTION_NAMES.
const everyOptionNamed: [Exclude<keyof SyncRunOptions, RunOptionName>] extends [never] ? true : false = true;
void everyOptionNamed;

/** The defaults of the run options. */
export const RUN_OPTION_DEFAULTS: Readonly<SyncRunOptions> = Object.freeze({
  dryRun: false,
  handleObsoleteInstances: true,
  forceSync: false,
});

/** Run options as a caller gives them: any of them, each a real boolean. */
export type RunOptionsInput = Partial<SyncRunOptions>;

/** Fills the defaults of the options a caller left out; each given one must be a real boolean (`ConfigError` naming it). */
export function resolveRunOptions(input: RunOptionsInput): SyncRunOptions {
  const resolved = {} as SyncRunOptions;
  for (const name of RUN_OPTION_NAMES) resolved[name] = optionBoolean(name, input[name], RUN_OPTION_DEFAULTS[name]);
  return resolved;
}

/** The single-flight key of a run: equal exactly when every run option is equal. */
export function runOptionsKey(options: SyncRunOptions): string {
  return JSON.stringify(RUN_OPTION_NAMES.map((name) => options[name]));
}
