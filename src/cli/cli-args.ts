/**
 * The flags of `novita-reconcile` and its help text. Parsing is strict: an unknown flag, a value
 * given to a flag, a positional argument or a pointless combination is a usage error naming it.
 */

/** The parsed flags. */
export interface CliFlags {
  dryRun: boolean;
  force: boolean;
  noObsolete: boolean;
  list: boolean;
  json: boolean;
  help: boolean;
  version: boolean;
}

const FLAGS: Record<string, keyof CliFlags> = {
  '--dry-run': 'dryRun',
  '--force': 'force',
  '--no-obsolete': 'noObsolete',
  '--list': 'list',
  '--json': 'json',
  '--help': 'help',
  '-h': 'help',
  '--version': 'version',
};

/** @internal The outcome of {@link parseCliArgs}. */
export type ParsedArgs = { ok: true; flags: CliFlags } | { ok: false; message: string };

/** @internal Parses argv (without the node and script paths). */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  const flags: CliFlags = { dryRun: false, force: false, noObsolete: false, list: false, json: false, help: false, version: false };
  for (const arg of argv) {
    const flag = FLAGS[arg];
    if (flag !== undefined) {
      flags[flag] = true;
      continue;
    }
    const name = arg.split('=')[0] ?? arg;
    if (arg.includes('=') && FLAGS[name] !== undefined) return { ok: false, message: `${name} takes no value (got ${JSON.stringify(arg)})` };
    if (arg.startsWith('-')) return { ok: false, message: `unknown flag ${arg}` };
    return { ok: false, message: `unexpected argument ${JSON.stringify(arg)}: novita-reconcile takes flags only` };
  }
  if (flags.list) {
    for (const [flag, key] of [['--dry-run', 'dryRun'], ['--force', 'force'], ['--no-obsolete', 'noObsolete']] as const) {
      if (flags[key]) return { ok: false, message: `${flag} applies to a sync run and cannot be combined with --list` };
    }
  }
  return { ok: true, flags };
}

/** The `--help` text. */
export const HELP_TEXT = `Usage: novita-reconcile [flags]

Reconciles the Redis records of your Novita.ai GPU instances with Novita: refreshes their statuses,
marks terminated (or removes) the records whose instance is gone, and drops terminated records past
retention. Configuration comes from the environment only.

Flags:
  --dry-run       decide everything, write nothing; print the actions a real run would take
  --force         proceed with obsolete handling although the safety limit tripped
  --no-obsolete   refresh statuses only; leave obsolete records and retention alone
  --list          print the merged view of records and Novita instances instead of syncing
                  (cannot be combined with --dry-run, --force or --no-obsolete)
  --json          print the full report (or the view) as JSON on stdout instead of a summary
  -h, --help      print this help and exit
  --version       print the version and exit

Environment:
  NOVITA_API_KEY        Novita API key (required; never printed)
  NOVITA_API_BASE_URL   default https://api.novita.ai/gpu-instance/openapi/v1
  REDIS_URL             redis:// or rediss:// URL of the store (required)
  REDIS_KEY_PREFIX      key namespace of the records, default novita-reconciler
  SYNC_*                the policy: SYNC_REMOVE_OBSOLETE_INSTANCES, SYNC_OBSOLETE_INSTANCE_RETENTION_DAYS,
                        SYNC_CREATION_GRACE_MINUTES, SYNC_CONFIRM_OBSOLETE, SYNC_MAX_OBSOLETE_FRACTION,
                        SYNC_SAFETY_MIN_RECORDS, SYNC_NOVITA_ONLY, SYNC_STATUS_MAP (JSON), ...

Exit codes:
  0  done (the run completed, or --list, --help, --version)
  1  the run failed (Novita, Redis, lock lost, interrupted); a failed listing writes nothing
  2  bad usage or configuration; the message names the flag or the variable
  3  another sync run holds the lock (SYNC_IN_PROGRESS); try again later
  4  the safety limit tripped: obsolete handling was held back (status refreshes applied);
     check Novita, then rerun with --force
`;
