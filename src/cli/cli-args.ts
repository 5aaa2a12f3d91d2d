/**
 * The commands and flags of `novita-reconcile`, parsed with `node:util`'s `parseArgs` (its tokens, so
 * that every mistake gets our own wording). Parsing is strict: an unknown flag, a value given to a
 * switch, a flag of another command, a flag given twice with two values, a positional argument that is
 * not a command, or a pointless combination is a usage error naming it.
 */
import { parseArgs } from 'node:util';
import { nearestName } from '../options.js';

/** The commands: one run (the default), the schedule, the read-only doctor, the standalone fake Novita, and the hold switch. */
export type CliCommandName = 'run' | 'watch' | 'doctor' | 'fake-novita' | 'hold' | 'release';

/** Flags of one run (`novita-reconcile [flags]`). */
export interface RunFlags {
  dryRun: boolean;
  force: boolean;
  noObsolete: boolean;
  list: boolean;
  json: boolean;
  detailedExitcode: boolean;
  /** The `--config` module, as given (resolved against the working directory when loaded). */
  config: string | undefined;
}

/** Flags of `novita-reconcile watch`. */
export interface WatchFlags {
  json: boolean;
  config: string | undefined;
}

/** Flags of `novita-reconcile doctor`. */
export interface DoctorFlags {
  json: boolean;
  config: string | undefined;
  /** The directory `--capture` saves the first listing page and the not-found answer in. */
  capture: string | undefined;
}

/** Flags of `novita-reconcile hold` and `novita-reconcile release`. */
export interface HoldFlags {
  /** `hold` only: why (recorded with the hold). */
  reason: string | undefined;
  /** Who sets or releases it; the command fills in `user@host` when not given. */
  by: string | undefined;
  json: boolean;
  config: string | undefined;
}

/** Flags of `novita-reconcile fake-novita`. */
export interface FakeNovitaFlags {
  /** 0 picks a free port. */
  port: number;
  host: string;
  instances: number;
  apiKey: string | undefined;
  latencyMs: number;
}

/** What the command line asks for. */
export type CliRequest =
  | { command: 'run'; flags: RunFlags }
  | { command: 'watch'; flags: WatchFlags }
  | { command: 'doctor'; flags: DoctorFlags }
  | { command: 'fake-novita'; flags: FakeNovitaFlags }
  | { command: 'hold' | 'release'; flags: HoldFlags }
  | { command: 'help'; topic: CliCommandName }
  | { command: 'version' };

/** @internal The outcome of {@link parseCliArgs}. */
export type ParsedArgs = { ok: true; request: CliRequest } | { ok: false; message: string };

type FlagName = keyof typeof FLAGS;

/** Every flag, its kind, and the commands it belongs to. */
const FLAGS = {
  'dry-run': { type: 'boolean', commands: ['run'] },
  force: { type: 'boolean', commands: ['run'] },
  'no-obsolete': { type: 'boolean', commands: ['run'] },
  list: { type: 'boolean', commands: ['run'] },
  'detailed-exitcode': { type: 'boolean', commands: ['run'] },
  json: { type: 'boolean', commands: ['run', 'watch', 'doctor', 'hold', 'release'] },
  config: { type: 'string', commands: ['run', 'watch', 'doctor', 'hold', 'release'] },
  capture: { type: 'string', commands: ['doctor'] },
  reason: { type: 'string', commands: ['hold'] },
  by: { type: 'string', commands: ['hold', 'release'] },
  help: { type: 'boolean', short: 'h', commands: ['run', 'watch', 'doctor', 'fake-novita', 'hold', 'release'] },
  version: { type: 'boolean', commands: ['run'] },
  port: { type: 'string', commands: ['fake-novita'] },
  host: { type: 'string', commands: ['fake-novita'] },
  instances: { type: 'string', commands: ['fake-novita'] },
  'api-key': { type: 'string', commands: ['fake-novita'] },
  'latency-ms': { type: 'string', commands: ['fake-novita'] },
} as const satisfies Record<string, { type: 'boolean' | 'string'; short?: string; commands: readonly CliCommandName[] }>;

const COMMANDS: readonly CliCommandName[] = ['watch', 'doctor', 'fake-novita', 'hold', 'release'];
const PARSE_OPTIONS = Object.fromEntries(
  Object.entries(FLAGS).map(([name, flag]) => [name, { type: flag.type, ...('short' in flag ? { short: flag.short } : {}) }]),
) as Record<FlagName, { type: 'boolean' | 'string'; short?: string }>;

/**
 * `unknown flag --dryrun; did you mean --dry-run?`: the nearest flag by the rule the options use
 * ({@link nearestName}), among the command's own flags first.
 */
function unknownFlag(rawName: string, name: string, command: CliCommandName): string {
  const all = Object.keys(FLAGS) as FlagName[];
  const own = all.filter((flag) => (FLAGS[flag].commands as readonly string[]).includes(command));
  const nearest = rawName.startsWith('--') ? (nearestName(name, own) ?? nearestName(name, all)) : undefined;
  return `unknown flag ${rawName}${nearest === undefined ? '' : `; did you mean --${nearest}?`}`;
}

/** @internal Parses argv (without the node and script paths). */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  // strict: false hands every token back, so the messages below are ours and name what was typed.
  const { tokens } = parseArgs({ args: [...argv], options: PARSE_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  let command: CliCommandName = 'run';
  const switches = new Set<FlagName>();
  const values = new Map<FlagName, string>();
  let afterTerminator = false;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      afterTerminator = true;
      continue;
    }
    if (token.kind === 'positional') {
      if (token.index === 0 && !afterTerminator && COMMANDS.includes(token.value as CliCommandName)) {
        command = token.value as CliCommandName;
        continue;
      }
      return fail(
        `unexpected argument ${JSON.stringify(token.value)}: the commands are ${COMMANDS.slice(0, -1).join(', ')} and ${COMMANDS.at(-1)}; a single run takes flags only`,
      );
    }
    const flag = (FLAGS as Record<string, (typeof FLAGS)[FlagName]>)[token.name];
    if (flag === undefined) return fail(unknownFlag(token.rawName, token.name, command));
    const name = token.name as FlagName;
    if (!(flag.commands as readonly string[]).includes(command)) {
      const owners = flag.commands.map((owner) => (owner === 'run' ? 'a single run' : `novita-reconcile ${owner}`));
      return fail(
        `${token.rawName} is a flag of ${owners.join(' and ')}, not of ${command === 'run' ? 'a single run' : `novita-reconcile ${command}`}`,
      );
    }
    if (flag.type === 'boolean') {
      if (token.value !== undefined) return fail(`${token.rawName} takes no value (got ${JSON.stringify(argv[token.index])})`);
      switches.add(name);
      continue;
    }
    // A string flag followed by another flag swallowed it: say so instead of taking "--json" as a path.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
      return fail(
        `${token.rawName} needs a value${token.value === undefined ? '' : ` (got the flag ${token.value}; write ${token.rawName}=${token.value} if you mean it)`}`,
      );
    }
    const previous = values.get(name);
    if (previous !== undefined && previous !== token.value)
      return fail(`${token.rawName} is given twice (${JSON.stringify(previous)} and ${JSON.stringify(token.value)})`);
    values.set(name, token.value);
  }

  if (switches.has('help')) return { ok: true, request: { command: 'help', topic: command } };
  if (switches.has('version')) return { ok: true, request: { command: 'version' } };
  if (command === 'watch') return { ok: true, request: { command, flags: { json: switches.has('json'), config: values.get('config') } } };
  if (command === 'fake-novita') return fakeNovitaRequest(values);
  if (command === 'doctor') {
    const capture = values.get('capture');
    if (capture !== undefined && capture.trim() === '') return fail('--capture needs a directory');
    return { ok: true, request: { command, flags: { json: switches.has('json'), config: values.get('config'), capture } } };
  }
  if (command === 'hold' || command === 'release') {
    const reason = values.get('reason');
    if (reason !== undefined && reason.length > 500) return fail('--reason must be at most 500 characters');
    return {
      ok: true,
      request: { command, flags: { reason, by: values.get('by'), json: switches.has('json'), config: values.get('config') } },
    };
  }

  const flags: RunFlags = {
    dryRun: switches.has('dry-run'),
    force: switches.has('force'),
    noObsolete: switches.has('no-obsolete'),
    list: switches.has('list'),
    json: switches.has('json'),
    detailedExitcode: switches.has('detailed-exitcode'),
    config: values.get('config'),
  };
  if (flags.list) {
    for (const [flag, key] of [
      ['--dry-run', 'dryRun'],
      ['--force', 'force'],
      ['--no-obsolete', 'noObsolete'],
      ['--detailed-exitcode', 'detailedExitcode'],
    ] as const) {
      if (flags[key]) return fail(`${flag} applies to a sync run and cannot be combined with --list`);
    }
  }
  return { ok: true, request: { command: 'run', flags } };
}

function fakeNovitaRequest(values: ReadonlyMap<FlagName, string>): ParsedArgs {
  const whole = (name: FlagName, fallback: number, min: number, max: number): number | string => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max)
      return `--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`;
    return value;
  };
  const port = whole('port', 0, 0, 65_535);
  const instances = whole('instances', 10, 0, 100_000);
  const latencyMs = whole('latency-ms', 0, 0, 600_000);
  for (const value of [port, instances, latencyMs]) if (typeof value === 'string') return fail(value);
  const host = values.get('host') ?? '127.0.0.1';
  if (host.trim() === '') return fail('--host must not be empty');
  const apiKey = values.get('api-key');
  if (apiKey !== undefined && !/^\S+$/.test(apiKey)) return fail('--api-key must be one word without spaces');
  return {
    ok: true,
    request: {
      command: 'fake-novita',
      flags: { port: port as number, host, instances: instances as number, apiKey, latencyMs: latencyMs as number },
    },
  };
}

function fail(message: string): ParsedArgs {
  return { ok: false, message };
}
