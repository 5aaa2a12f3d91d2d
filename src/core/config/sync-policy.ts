import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { checkOptionKeys, nearestName } from '../../options.js';
import { GONE_STATUSES } from '../ports/novita-client.js';
import { envBoolean } from './boolean-rules.js';

/**
 * How one Novita status maps to a local status: either the local status alone, or the local status
 * with the local statuses kept as they are (refinements the application sets itself, such as
 * `health_checking` or `ready` while Novita says `running`).
 */
export type StatusMapEntry = string | { status: string; keep?: readonly string[] };

/** What to do with Novita instances that no record names. */
/**
 * What a run does with Novita instances no record names: `report` them, `ignore` them, `adopt` them as
 * records, or end the orphans among them (those in `scope.instance`): `stop` them, or `delete` them (stopped
 * first, deleted a later run). `stop` and `delete` need `scope.instance`, a client with the lifecycle
 * calls and a store that keeps the instance-action trail (`createReconciler` refuses them otherwise).
 */
export type NovitaOnlyPolicy = 'report' | 'ignore' | 'adopt' | 'stop' | 'delete';

/** The reconcile policy, with every field resolved. See {@link resolvePolicy} for the defaults. */
export interface SyncPolicy {
  /** Remove obsolete records instead of marking them `terminated`. @default false */
  removeObsoleteInstances: boolean;
  /** Days a terminated record is kept before retention removes it; from 0 to 3650 (ten years). @default 7 */
  obsoleteRetentionDays: number;
  /** Whether `reconciler.start()` schedules runs. @default true */
  enableAutomaticSync: boolean;
  /** Minutes between scheduled runs; more than 0 and at most a week (10080). The schedule waits at least one second between runs. @default 30 */
  syncIntervalMinutes: number;
  /**
   * Minutes after `timestamps.created` (or, without it, `timestamps.firstSeen`) during which a record is
   * never treated as obsolete; from 0 to 1440 (a day: a longer grace would quietly turn obsolete handling
   * off). @default 10
   */
  creationGraceMinutes: number;
  /**
   * Confirm each record absent from the listing with `getInstance` before acting on it. Keep it on: a
   * paged listing read while instances are created and deleted can, in rare interleavings, miss a live
   * instance with every consistency check passing, and only the confirmation catches that. @default true
   */
  confirmObsolete: boolean;
  /**
   * Above this fraction of obsolete candidates among the records that should be alive, nothing based
   * on absence from the listing happens (unless `forceSync`). @default 0.5
   */
  maxObsoleteFraction: number;
  /** The safety limit applies only when at least this many records should be alive. @default 10 */
  safetyMinRecords: number;
  /**
   * Novita instances without a record: reported, ignored or adopted as new records. Adoption waits until
   * the instance's `createdAt` is older than `creationGraceMinutes` (until then it is reported), so an
   * instance the application is still recording is never adopted twice. `stop` and `delete` end the
   * orphans (the Novita-only instances in `scope.instance`) older than `orphanGraceMinutes`, under every
   * guard (see docs/ownership-and-guards.md); they are still reported. @default 'report'
   */
  novitaOnly: NovitaOnlyPolicy;
  /**
   * With `novitaOnly: 'stop' | 'delete'`: an orphan is stopped only once Novita's creation time is at
   * least this many minutes ago (an orphan whose age is unknown is never ended), and deleted only once
   * this library stopped it at least this many minutes earlier. Keep it longer than your application
   * takes from `createInstance` returning to its record naming the instance. 1 to 30 days (43200).
   * @default 60
   */
  orphanGraceMinutes: number;
  /** Overrides of the default status map, per Novita status. @default {} */
  statusMap: Readonly<Record<string, StatusMapEntry>>;
  /**
   * Minutes a record's Novita status may stay transitional (any Novita status the status map sends to
   * `creating`, `starting`, `stopping` or `migrating`, overrides included) before the record is reported
   * as stuck (`report.stuck`, an `instance-stuck` event). Counted from `timestamps.novitaStatusSince`;
   * report only, nothing is done to the record or the instance. More than 0, at most 30 days (43200).
   * @default 60
   */
  stuckAfterMinutes: number;
  /**
   * At most this many records are marked terminated or removed in one run: obsolete, never-started and
   * retention together, taken in that order (each oldest first, then by id); the rest are held back for
   * the next run (`skipped.limit`). `0` ends nothing; `null` sets no cap. Status refreshes are never
   * limited, and `forceSync` does not lift it. @default null
   */
  maxDestructivePerRun: number | null;
  /**
   * At most `max` records are marked terminated or removed within any `windowMinutes`, by every replica
   * and run on the store together, measured on the reconciler's clock. Kept next to the records and
   * reserved atomically before the writes; the store must keep it (the memory and Redis stores do), or
   * `createReconciler` refuses the option. `forceSync` does not lift it. @default null (no budget)
   */
  destructiveBudget: DestructiveBudget | null;
}

/** A budget of destructive actions per sliding time window (`policy.destructiveBudget`). */
export interface DestructiveBudget {
  /** Records that may be marked terminated or removed within the window; `0` ends nothing. */
  max: number;
  /** The window's length in minutes; more than 0 and at most 30 days (43200). */
  windowMinutes: number;
}

/** A partial policy as users write it; {@link resolvePolicy} fills the defaults. */
export type SyncPolicyInput = Partial<SyncPolicy>;

const localStatus = z
  .string()
  .min(1, 'must be a non-empty status string')
  .refine((value) => value !== 'terminated', {
    message: '"terminated" is the reconciler\'s own status and cannot be a mapping target',
  });

const statusMapEntrySchema = z.union([
  localStatus,
  z.object({ status: localStatus, keep: z.array(z.string().min(1)).optional() }).strict(),
]);

/** How an environment variable's text becomes a field's value; derived from the field's schema. */
type FieldKind = 'boolean' | 'number' | 'enum' | 'json';

/**
 * One policy field: its environment variable and its schema, default included (a nullable field's
 * kind is its inner type's). `example` is the value a `json` field's message shows.
 */
const policyField = <const Variable extends string, Schema extends z.ZodDefault<z.ZodType>>(
  env: Variable,
  schema: Schema,
  example?: string,
) => {
  let inner: z.ZodType = schema.unwrap() as z.ZodType;
  if (inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType;
  const kind: FieldKind =
    inner instanceof z.ZodBoolean ? 'boolean' : inner instanceof z.ZodNumber ? 'number' : inner instanceof z.ZodEnum ? 'enum' : 'json';
  return { env, schema, kind, example: example ?? '{"pulling":"creating"}' };
};

/**
 * Every policy field, once: its environment variable and its schema with the documented default. The
 * schema, the defaults, the environment map and how each variable is read are all derived from here;
 * a new field is this entry and its documented member of {@link SyncPolicy}.
 */
const POLICY_FIELDS = {
  removeObsoleteInstances: policyField('SYNC_REMOVE_OBSOLETE_INSTANCES', z.boolean().default(false)),
  obsoleteRetentionDays: policyField(
    'SYNC_OBSOLETE_INSTANCE_RETENTION_DAYS',
    z.number().finite().min(0, 'must be 0 or more').max(3650, 'must be at most 3650 (ten years)').default(7),
  ),
  enableAutomaticSync: policyField('SYNC_ENABLE_AUTOMATIC_SYNC', z.boolean().default(true)),
  syncIntervalMinutes: policyField(
    'SYNC_INTERVAL_MINUTES',
    z.number().finite().gt(0, 'must be more than 0').max(10_080, 'must be at most a week (10080)').default(30),
  ),
  creationGraceMinutes: policyField(
    'SYNC_CREATION_GRACE_MINUTES',
    z
      .number()
      .finite()
      .min(0, 'must be 0 or more')
      .max(1440, 'must be at most a day (1440); a longer grace would turn obsolete handling off')
      .default(10),
  ),
  confirmObsolete: policyField('SYNC_CONFIRM_OBSOLETE', z.boolean().default(true)),
  maxObsoleteFraction: policyField(
    'SYNC_MAX_OBSOLETE_FRACTION',
    z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.5),
  ),
  safetyMinRecords: policyField(
    'SYNC_SAFETY_MIN_RECORDS',
    z.number().int('must be a whole number').min(0, 'must be 0 or more').default(10),
  ),
  novitaOnly: policyField('SYNC_NOVITA_ONLY', z.enum(['report', 'ignore', 'adopt', 'stop', 'delete']).default('report')),
  orphanGraceMinutes: policyField(
    'SYNC_ORPHAN_GRACE_MINUTES',
    z.number().finite().min(1, 'must be at least 1').max(43_200, 'must be at most 30 days (43200)').default(60),
  ),
  statusMap: policyField(
    'SYNC_STATUS_MAP',
    z
      .record(z.string().min(1), statusMapEntrySchema)
      .superRefine((map, context) => {
        for (const key of Object.keys(map)) {
          if (GONE_STATUSES.has(key)) {
            context.addIssue({
              code: 'custom',
              path: [key],
              message: `${key} means the instance is gone and is always handled as obsolete; it cannot be remapped`,
            });
          }
        }
      })
      .default({}),
  ),
  stuckAfterMinutes: policyField(
    'SYNC_STUCK_AFTER_MINUTES',
    z.number().finite().gt(0, 'must be more than 0').max(43_200, 'must be at most 30 days (43200)').default(60),
  ),
  maxDestructivePerRun: policyField(
    'SYNC_MAX_DESTRUCTIVE_PER_RUN',
    z.number().int('must be a whole number').min(0, 'must be 0 or more').nullable().default(null),
  ),
  destructiveBudget: policyField(
    'SYNC_DESTRUCTIVE_BUDGET',
    z
      .object({
        max: z.number().int('must be a whole number').min(0, 'must be 0 or more'),
        windowMinutes: z.number().finite().gt(0, 'must be more than 0').max(43_200, 'must be at most 30 days (43200)'),
      })
      .strict()
      .nullable()
      .default(null),
    '{"max":15,"windowMinutes":60}',
  ),
};

type PolicyFields = typeof POLICY_FIELDS;
// Compiles only while POLICY_FIELDS and SyncPolicy name the same fields, with the same types.
const sameFields: [Exclude<keyof SyncPolicy, keyof PolicyFields> | Exclude<keyof PolicyFields, keyof SyncPolicy>] extends [never]
  ? true
  : false = true;
void sameFields;
const fieldNames = Object.keys(POLICY_FIELDS) as (keyof SyncPolicy)[];

/** The zod schema of a policy, with the documented defaults. */
export const syncPolicySchema = z
  .object(
    Object.fromEntries(fieldNames.map((name) => [name, POLICY_FIELDS[name].schema])) as {
      [K in keyof PolicyFields]: PolicyFields[K]['schema'];
    },
  )
  .strict();

/** The defaults of every policy field. */
export const DEFAULT_POLICY: Readonly<SyncPolicy> = Object.freeze(syncPolicySchema.parse({}) satisfies SyncPolicy);
Object.freeze(DEFAULT_POLICY.statusMap);

/**
 * Validates a partial policy and fills the defaults. Throws {@link ConfigError} naming the field
 * (as `policy.<field>`) and what it got.
 *
 * @example
 * ```ts
 * const policy = resolvePolicy({ removeObsoleteInstances: true, obsoleteRetentionDays: 3 });
 * ```
 */
export function resolvePolicy(input: unknown = {}, fieldPrefix = 'policy'): SyncPolicy {
  if (input === undefined || input === null) input = {};
  const problem = policyProblem(input);
  if (problem === undefined) return syncPolicySchema.parse(input) as SyncPolicy;
  if (problem.unknownKey) {
    // The shared option rule words it (and finds the nearest valid name), like every other option.
    checkOptionKeys('the policy', input, Object.keys(DEFAULT_POLICY), fieldPrefix);
  }
  throw new ConfigError([fieldPrefix, ...problem.path].join('.'), problem.message, { received: problem.received });
}

/** What is wrong with a policy input, as structured fields (never a message to be parsed). */
interface PolicyProblem {
  /** The path of the field at fault, inside the policy: `['statusMap', 'exited']`. */
  path: string[];
  message: string;
  received: unknown;
  unknownKey: boolean;
}

function policyProblem(input: unknown): PolicyProblem | undefined {
  const parsed = syncPolicySchema.safeParse(input);
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  let received: unknown = input;
  for (const key of path)
    received = typeof received === 'object' && received !== null ? (received as Record<string, unknown>)[key] : undefined;
  return { path, message: issue?.message ?? 'invalid', received, unknownKey: issue?.code === 'unrecognized_keys' };
}

/** Environment variable -> policy field. */
export const POLICY_ENV_VARIABLES = Object.freeze(Object.fromEntries(fieldNames.map((name) => [POLICY_FIELDS[name].env, name]))) as {
  readonly [K in keyof PolicyFields as PolicyFields[K]['env']]: K;
};

/** The policy variables whose value is JSON (`SYNC_STATUS_MAP`, ...), for help texts. @internal */
export const POLICY_JSON_VARIABLES: readonly string[] = Object.freeze(
  fieldNames.filter((name) => POLICY_FIELDS[name].kind === 'json').map((name) => POLICY_FIELDS[name].env),
);

const POLICY_VARIABLE_PREFIX = 'SYNC_';

/** Throws for a set `SYNC_` variable that is not a policy variable but is near one. */
function refuseMisspeltVariables(env: Readonly<Record<string, string | undefined>>): void {
  const known = Object.keys(POLICY_ENV_VARIABLES);
  // Compared without the shared prefix, so that only the part a person typed counts toward the distance.
  const knownSuffixes = known.map((name) => name.slice(POLICY_VARIABLE_PREFIX.length));
  for (const [variable, raw] of Object.entries(env)) {
    // Case too: the environment is case-sensitive, so `sync_interval_minutes` would be ignored as well.
    if (!variable.toUpperCase().startsWith(POLICY_VARIABLE_PREFIX) || Object.hasOwn(POLICY_ENV_VARIABLES, variable)) continue;
    if (raw === undefined || raw.trim() === '') continue;
    const suffix = nearestName(variable.slice(POLICY_VARIABLE_PREFIX.length), knownSuffixes);
    if (suffix === undefined) continue;
    const nearest = `${POLICY_VARIABLE_PREFIX}${suffix}`;
    throw new ConfigError(variable, `is not a policy variable; did you mean ${nearest}? (${variable} would be ignored)`, {
      received: raw,
      envVariable: variable,
    });
  }
}

/**
 * Reads the policy from environment variables (`SYNC_*`, see `.env.example`), filling defaults for
 * those not set. An empty variable counts as not set. `overrides` win over the environment.
 * Throws {@link ConfigError} naming the variable and what it got, and for a `SYNC_` variable that is
 * not one of the policy's but is near one (`SYNC_INTERVAL_MINS` for `SYNC_INTERVAL_MINUTES`, by the
 * rule that names a misspelt option), naming both: a misspelt variable would otherwise be ignored in
 * silence. `SYNC_` names near none are left alone (they may be the application's own).
 *
 * @example
 * ```ts
 * const policy = policyFromEnv(process.env);
 * ```
 */
export function policyFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: SyncPolicyInput = {},
): SyncPolicy {
  refuseMisspeltVariables(env);
  const input: Record<string, unknown> = {};
  for (const [variable, field] of Object.entries(POLICY_ENV_VARIABLES) as [keyof typeof POLICY_ENV_VARIABLES, keyof SyncPolicy][]) {
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') continue;
    const text = raw.trim();
    switch (POLICY_FIELDS[field].kind) {
      case 'boolean':
        input[field] = envBoolean(variable, text, raw);
        break;
      case 'number': {
        const value = Number(text);
        if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) || !Number.isFinite(value)) {
          throw new ConfigError(variable, 'must be a number', { received: raw, envVariable: variable });
        }
        input[field] = value;
        break;
      }
      case 'enum':
        input[field] = text;
        break;
      case 'json': {
        try {
          input[field] = JSON.parse(text);
        } catch (error) {
          throw new ConfigError(variable, `must be JSON, such as ${POLICY_FIELDS[field].example}: ${(error as Error).message}`, {
            received: raw,
            envVariable: variable,
          });
        }
        break;
      }
    }
  }
  const merged = { ...input, ...overrides };
  const problem = policyProblem(merged);
  const field = problem?.path[0];
  // A value that came from a variable is reported under the variable's name, with what it held.
  if (problem && field !== undefined && field in input && !(field in overrides)) {
    const variable = (Object.entries(POLICY_ENV_VARIABLES) as [string, string][]).find(
      ([, policyField]) => policyField === field,
    )?.[0] as string;
    const rest = problem.path.slice(1).join('.');
    throw new ConfigError(rest ? `${variable} (${rest})` : variable, problem.message, { received: env[variable], envVariable: variable });
  }
  return resolvePolicy(merged, 'policy');
}
