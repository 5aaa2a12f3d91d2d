/** The `--help` texts of `novita-reconcile` and its commands. */
import { POLICY_ENV_VARIABLES, POLICY_JSON_VARIABLES } from '../core/config/sync-policy.js';
import type { CliCommandName } from './cli-args.js';

/**
 * The `SYNC_*` lines of the help, from the policy's own table: a policy field added later is listed
 * without anyone editing this file.
 */
function policyVariablesHelp(): string {
  const names = Object.keys(POLICY_ENV_VARIABLES).map((name) => {
    if (POLICY_JSON_VARIABLES.includes(name)) return `${name} (JSON)`;
    return name === 'SYNC_INTERVAL_MINUTES' ? `${name} (also watch's interval)` : name;
  });
  const words = ['the', 'policy:', ...names.map((name, index) => (index < names.length - 1 ? `${name},` : `${name};`))];
  words.push(...'a --config policy field wins over its variable'.split(' '));
  const indent = ' '.repeat(24);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && indent.length + line.length + 1 + word.length > 104) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return `  SYNC_*                ${lines.join(`\n${indent}`)}`;
}

const RUN_HELP = `Usage: novita-reconcile [flags]
       novita-reconcile watch [--json] [--config <module>]
       novita-reconcile doctor [--json] [--config <module>] [--capture <dir>]
       novita-reconcile fake-novita [--port <n>] [--instances <n>] ...
       novita-reconcile hold [--reason <text>] | release

Reconciles the records of your Novita.ai GPU instances with Novita: refreshes their statuses, marks
terminated (or removes) the records whose instance is gone, and drops terminated records past
retention. Configuration comes from the environment, or from a --config module.

Commands:
  (none)          one run, then exit (for cron)
  watch           run on the policy's schedule until SIGINT or SIGTERM (novita-reconcile watch --help)
  doctor          check the setup read-only (key, listing shape, not-found answer, store, policy)
                  and print ok, warn or fail for each check (novita-reconcile doctor --help)
  fake-novita     serve a fake Novita API with a seeded fleet, for trying things out (fake-novita --help)
  hold            stop every run on the store, on every replica, from ending anything (statuses still
                  refresh) until release (novita-reconcile hold --help)
  release         release the hold

Flags:
  --dry-run             decide everything, write nothing; print the actions a real run would take
  --force               proceed with obsolete handling although the safety limit tripped
  --no-obsolete         refresh statuses only; leave obsolete records and retention alone
  --list                print the merged view of records and Novita instances instead of syncing
                        (cannot be combined with --dry-run, --force, --no-obsolete or --detailed-exitcode)
  --json                print the full report (or the view) as JSON on stdout instead of a summary
  --detailed-exitcode   exit 5 when the run (dry or not) found actions, 0 when it found none
  --config <module>     an ES or CommonJS module (path relative to the working directory) whose default
                        export, or export named config, supplies any of store, novitaClient, policy,
                        lock, logger and close; the environment supplies the rest
  -h, --help            print this help and exit
  --version             print the version and exit

Environment:
  NOVITA_API_KEY        Novita API key (required unless --config supplies novitaClient; never printed)
  NOVITA_API_BASE_URL   default https://api.novita.ai/gpu-instance/openapi/v1
  REDIS_URL             redis:// or rediss:// URL of the store (required unless --config supplies store)
  REDIS_KEY_PREFIX      key namespace of the records, default novita-reconciler
${policyVariablesHelp()}

Progress goes to stderr while the run works, when stderr is a terminal; nothing otherwise.

Exit codes:
  0  done (the run completed and, with --detailed-exitcode, found nothing to do; --list, --help, --version;
     watch stopped by SIGINT or SIGTERM)
  1  the run failed (Novita, the store, lock lost, interrupted); a failed listing writes nothing
  2  bad usage or configuration; the message names the flag, the variable or the --config field
  3  another sync run holds the lock (SYNC_IN_PROGRESS); try again later
  4  the safety limit tripped: obsolete handling was held back (status refreshes applied);
     check Novita, then rerun with --force
  5  with --detailed-exitcode only: the run completed and found actions (applied, or planned in a dry run)
`;

const WATCH_HELP = `Usage: novita-reconcile watch [--json] [--config <module>]

Runs a sync at once, then every SYNC_INTERVAL_MINUTES (default 30, with 10% jitter), until SIGINT or
SIGTERM. A run in flight then finishes (a second signal exits at once); the command exits 0. With a lock
that records completed runs (the Redis lock does), replicas running watch share one schedule.
Configuration is the same as a single run's (novita-reconcile --help).

Flags:
  --json              print each run's report as one line of JSON on stdout instead of a summary
  --config <module>   as for a single run
  -h, --help          print this help and exit

Exit codes:
  0  stopped by SIGINT or SIGTERM
  2  bad usage or configuration, or SYNC_ENABLE_AUTOMATIC_SYNC is false (nothing to schedule)
A failed run is reported on stderr and the schedule carries on.
`;

const DOCTOR_HELP = `Usage: novita-reconcile doctor [--json] [--config <module>] [--capture <dir>]

Checks a real setup without changing anything, with the configuration a run would use (the environment,
or a --config module), and prints one line per check: ok, warn or fail, why, and what to do. Nothing it
prints is a secret: paste it into a bug report.

Checks:
  API key           Novita accepts the key
  Listing shape     total present or not, page size asked and served (a cap), where page numbering
                    starts, one full listing as a run reads it (proven complete or unproven)
  Statuses          the statuses seen, and those outside the status map
  Fields            fields of the first page that failed to parse (names only, never values)
  Not-found answer  getInstance for an id that cannot exist, and whether the answer proves "gone"
  Response times    of the doctor's requests, and any rate-limit headers seen
  Redis, Store scripts, Records, Lock
                    reachable, Redis version, Cluster or not, clock skew, the store's scripts, records
                    under the prefix and how many decode, the lock (held, until when)
  Policy            the resolved policy

Flags:
  --json              print the checks as JSON on stdout instead of lines
  --config <module>   as for a single run
  --capture <dir>     save the first listing page and the not-found answer as JSON files in <dir>, for a
                      bug report or a test: every key kept, values the client does not keep replaced by
                      their JSON type, URL credentials redacted, ids and names hashed
  -h, --help          print this help and exit

Exit codes:
  0  no check failed (warnings allowed)
  1  a check failed
  2  bad usage or configuration
`;

const FAKE_HELP = `Usage: novita-reconcile fake-novita [--port <n>] [--host <address>] [--instances <n>]
                                    [--api-key <key>] [--latency-ms <n>]

Serves a fake Novita GPU instance API (the one the package's tests use) with a seeded fleet, until SIGINT
or SIGTERM, so that you can point your own app, or this command, at it. Prints its base URL and API key
on stdout as NOVITA_API_BASE_URL=... and NOVITA_API_KEY=... lines. Testing only: nothing it serves is real.

Flags:
  --port <n>          the port to listen on; 0 (the default) picks a free one
  --host <address>    the address to listen on, default 127.0.0.1
  --instances <n>     instances to seed (mostly running, some exited, created over the last week), default 10
  --api-key <key>     the key it accepts, default sk_fake_novita_key
  --latency-ms <n>    milliseconds each answer waits, default 0
  -h, --help          print this help and exit

Exit codes:
  0  stopped by SIGINT or SIGTERM
  1  it could not listen (the port is taken, the address is not local)
  2  bad usage
`;

const HOLD_HELP = `Usage: novita-reconcile hold [--reason <text>] [--by <who>] [--json] [--config <module>]
       novita-reconcile release [--by <who>] [--json] [--config <module>]

hold sets a flag next to the records (in Redis, under REDIS_KEY_PREFIX): while it is set, every run on
that store, on every replica, holds back every destructive action (marking records terminated,
removing them; counted in skipped.limit, shown in the report's limits.hold) and keeps refreshing
statuses. For the moment a person needs to stop the machine without stopping the service. release
clears it. Both are recorded in the Redis store's audit trail when it is on. Configuration is the same
as a single run's (REDIS_URL and REDIS_KEY_PREFIX, or a --config module's store); Novita is not needed.

Flags:
  --reason <text>     hold only: why, shown in every run's report and warn line (at most 500 characters)
  --by <who>          who; default USER@host
  --json              print the hold set (or released) as JSON
  --config <module>   as for a single run
  -h, --help          print this help and exit

Exit codes:
  0  done (release with no hold set too)
  1  the store failed
  2  bad usage or configuration, or a --config store that cannot keep a hold
`;

/** @internal The help text of a command. */
export function helpText(topic: CliCommandName): string {
  if (topic === 'hold' || topic === 'release') return HOLD_HELP;
  if (topic === 'watch') return WATCH_HELP;
  if (topic === 'fake-novita') return FAKE_HELP;
  if (topic === 'doctor') return DOCTOR_HELP;
  return RUN_HELP;
}
