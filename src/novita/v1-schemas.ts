/**
 * Novita v1 response parsing: the only place that knows v1's field names and quirks (numbers sent as
 * strings, Unix seconds sent as strings, `"0"` for never, `""` enum values). Transport knows nothing of
 * this, so a v2 adapter can bring its own schemas beside these.
 */
import { z } from 'zod';
import { NovitaInvalidResponseError } from '../errors.js';
import type { NovitaInstanceDetail, NovitaPortMapping } from './instance-detail.js';
import { REDACTED, redactCredentials, redactUrlSecrets } from './redact.js';

const INTEGER_TEXT = /^\s*-?\d+\s*$/;

/** An integer sent as a number or as a string of digits. */
const integer = z.union([
  z.number().int(),
  z
    .string()
    .regex(INTEGER_TEXT, 'expected an integer')
    .transform((text) => Number.parseInt(text, 10)),
]);

/** Descriptive numbers: an undocumented shape drops the typed value instead of failing the response. */
const lenientInteger = integer.optional().catch(undefined);

/**
 * Every text Novita sends that the client keeps, bar the instance's `id` and `status` (opaque
 * identifiers, compared as they came): URL credentials and secret-looking query values are redacted
 * here, once, by {@link redactUrlSecrets}, so no field (a `statusError.message` quoting an image URL
 * with `user:password@`, a connect component's address with `?token=`) can carry them out.
 */
const novitaText = z.string().transform(redactUrlSecrets);

const optionalText = novitaText.nullish().transform((text) => text ?? undefined);

/** Enum-like strings: `""` (which Novita sends) becomes absent, unknown values pass through. */
const optionalEnumText = novitaText.nullish().transform((text) => (text ? text : undefined));

const lenientText = optionalText.catch(undefined);
const lenientEnumText = optionalEnumText.catch(undefined);

/**
 * A point in time as Novita may send it: Unix seconds (number or string), Unix milliseconds (numbers
 * too large to be seconds), or an ISO 8601 string. `0`, negative values (`"-1"`), `""` and `null` mean
 * "never" and become absent.
 */
const timestamp = z
  .union([z.number(), z.string(), z.null()])
  .optional()
  .transform((value, context) => {
    if (value === undefined || value === null) return undefined;
    const text = typeof value === 'string' ? value.trim() : undefined;
    if (text === '') return undefined;
    const numeric =
      typeof value === 'number' ? value : INTEGER_TEXT.test(text ?? '') || /^\s*-?\d+\.\d+\s*$/.test(text ?? '') ? Number(text) : undefined;
    let millis: number;
    if (numeric !== undefined) {
      if (!Number.isFinite(numeric)) {
        context.addIssue({ code: 'custom', message: `expected a Unix timestamp, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      if (numeric <= 0) return undefined;
      // 1e11 seconds is the year 5138; as milliseconds it is 1973. Anything above is milliseconds.
      millis = numeric > 1e11 ? numeric : numeric * 1000;
    } else {
      millis = Date.parse(text ?? '');
    }
    const date = new Date(millis);
    if (Number.isNaN(date.getTime())) {
      context.addIssue({ code: 'custom', message: `expected a Unix timestamp or an ISO date, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return date.toISOString();
  });

const lenientTimestamp = timestamp.catch(undefined);

const lenientBoolean = z.boolean().nullish().catch(undefined);

// Nested objects are z.object (unknown keys stripped): an allowlist, so a password or token Novita
// sends inside them is never carried along.
const portMapping = z.object({ port: integer, type: optionalText, endpoint: optionalText });
const volumeMount = z.object({ type: optionalText, size: lenientInteger, id: optionalText, mountPath: optionalText });
const env = z.object({ key: novitaText });
const statusError = z.object({ state: novitaText.nullish(), message: novitaText.nullish() });
const network = z.object({ id: lenientText, ip: lenientText });
const node = z.object({ maxRootfsSize: lenientInteger });
const lenient = <S extends z.ZodType>(schema: S) => schema.nullish().catch(undefined);

/**
 * One v1 instance, as a list item or as the get-one body: the allowlist of what the client keeps.
 * `sshPassword`, `imageAuth`, `authorization`, `jobs` (shape undocumented) and any field Novita adds
 * are stripped here, before anything else sees the instance.
 */
const instanceSchema = z.object({
  id: z.string().min(1, 'expected a non-empty instance id'),
  status: z.string().min(1, 'expected a non-empty status'),
  name: optionalText,
  clusterId: optionalText,
  clusterName: lenientText,
  productId: lenientText,
  productName: optionalText,
  imageUrl: lenientText,
  imageAuthId: lenientEnumText,
  command: lenientEnumText,
  entrypoint: lenientEnumText,
  kind: lenientEnumText,
  cpuNum: lenientInteger,
  memory: lenientInteger,
  gpuNum: lenientInteger,
  rootfsSize: lenientInteger,
  createdAt: timestamp,
  lastStartedAt: timestamp,
  lastStoppedAt: timestamp,
  portMappings: lenient(z.array(portMapping)),
  envs: lenient(z.array(env)),
  volumeMounts: lenient(z.array(volumeMount)),
  statusError: lenient(statusError),
  billingMode: lenientEnumText,
  endTime: lenientTimestamp,
  spotStatus: lenientEnumText,
  spotReclaimTime: lenientTimestamp,
  network: lenient(network),
  node: lenient(z.array(node)),
  freeStorageSize: lenientInteger,
  keepDataDay: lenientInteger,
  connectComponentSSH: lenient(z.object({ sshCommand: lenientText, isRunning: lenientBoolean })),
  connectComponentWebTerminal: lenient(z.object({ address: lenientText, username: lenientText, isRunning: lenientBoolean })),
  connectComponentJupyter: lenient(z.object({ port: lenientInteger, address: lenientText, isRunning: lenientBoolean })),
  connectComponentLog: lenient(z.object({ systemLogAddress: lenientText, instanceLogAddress: lenientText, isRunning: lenientBoolean })),
});

/**
 * The allowlist, as field names: every instance field the client keeps, and for nested objects (or
 * arrays of them) the inner fields it keeps (`null`: a value kept as a whole). What is not named here is
 * dropped by the parse. For the doctor, which names fields (never values) that failed to parse, and for
 * captures, which keep every key but only allowlisted values.
 */
export const V1_INSTANCE_FIELDS: Readonly<Record<string, readonly string[] | null>> = {
  ...Object.fromEntries(Object.keys(instanceSchema.shape).map((key) => [key, null])),
  portMappings: Object.keys(portMapping.shape),
  envs: ['key'],
  volumeMounts: Object.keys(volumeMount.shape),
  statusError: Object.keys(statusError.shape),
  network: Object.keys(network.shape),
  node: Object.keys(node.shape),
  connectComponentSSH: ['sshCommand', 'isRunning'],
  connectComponentWebTerminal: ['address', 'username', 'isRunning'],
  connectComponentJupyter: ['port', 'address', 'isRunning'],
  connectComponentLog: ['systemLogAddress', 'instanceLogAddress', 'isRunning'],
};

/** The list page's own fields (its items are instances). */
export const V1_LIST_PAGE_FIELDS: readonly string[] = ['instances', 'total', 'pageSize', 'pageNum'];

/** Novita's error envelope's fields. */
export const V1_ERROR_FIELDS: readonly string[] = ['code', 'reason', 'message', 'metadata'];

const listPageSchema = z.object({
  // Go encodes an empty slice as null; an empty page is still a page.
  instances: z
    .array(instanceSchema)
    .nullable()
    .transform((items) => items ?? []),
  // Novita's current reference shows no `total`; when one is sent it must be a count.
  total: integer
    .pipe(z.number().int().nonnegative('expected a non-negative total'))
    .nullish()
    .transform((total) => total ?? undefined),
  pageSize: lenientInteger,
  pageNum: lenientInteger,
});

const createdSchema = z.looseObject({ id: z.string().min(1, 'expected the new instance id') });

const lifecycleSchema = z.looseObject({ instanceId: lenientText, state: lenientText }).nullish().catch(undefined);

const errorEnvelopeSchema = z.looseObject({
  code: integer,
  reason: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  message: novitaText,
});

type ParsedInstance = z.output<typeof instanceSchema>;

/** One page of `GET /gpu/instances`, parsed. */
export interface V1ListPage {
  /** The items of this page, in Novita's order. */
  instances: NovitaInstanceDetail[];
  /** The `total` this page announced; absent when Novita sent none (its current reference shows none). */
  total?: number;
  /** The page size Novita echoed, when it echoed one. */
  pageSize?: number;
  /** The page number Novita echoed, when it echoed one. */
  pageNum?: number;
}

/** Novita's error body: `{code, reason, message, metadata}`. */
export interface V1ErrorEnvelope {
  /** Same as the HTTP status, per Novita's documentation. */
  code: number;
  /** For example `RESOURCE_NOT_FOUND`. */
  reason: string;
  /** A human message. */
  message: string;
}

/** How a parse treats what the allowlist leaves out. */
export interface V1ParseOptions {
  /** Also keep a redacted copy of every field Novita sent on `raw`. @default false */
  keepRaw?: boolean;
}

/** Parses a list page. Rejects with `NOVITA_INVALID_RESPONSE` naming the first bad field. */
export function parseV1ListPage(body: unknown, options: V1ParseOptions = {}): V1ListPage {
  const parsed = parseWith(listPageSchema, body, 'list');
  const rawItems = options.keepRaw ? ((body as { instances?: unknown[] | null }).instances ?? []) : [];
  const intern = createIntern();
  return {
    instances: parsed.instances.map((item, index) => toDetail(item, options.keepRaw ? rawItems[index] : undefined, intern)),
    ...(parsed.total === undefined ? {} : { total: parsed.total }),
    ...(parsed.pageSize === undefined ? {} : { pageSize: parsed.pageSize }),
    ...(parsed.pageNum === undefined ? {} : { pageNum: parsed.pageNum }),
  };
}

/** Parses the get-one body. Rejects with `NOVITA_INVALID_RESPONSE` naming the first bad field. */
export function parseV1Instance(body: unknown, options: V1ParseOptions = {}): NovitaInstanceDetail {
  return toDetail(parseWith(instanceSchema, body, 'instance'), options.keepRaw ? body : undefined, (text) => text);
}

/** Parses the create answer `{id}`. */
export function parseV1Created(body: unknown): { id: string } {
  return { id: parseWith(createdSchema, body, 'create').id };
}

/** Reads the optional `{instanceId, state}` of a start/stop/restart/delete answer; any body is accepted. */
export function parseV1LifecycleAnswer(body: unknown): { state?: string } {
  const parsed = lifecycleSchema.parse(body);
  return parsed?.state ? { state: parsed.state } : {};
}

/** Novita's error envelope, or `undefined` when the body is something else (a proxy's page, nothing). */
export function parseV1ErrorEnvelope(body: unknown): V1ErrorEnvelope | undefined {
  const parsed = errorEnvelopeSchema.safeParse(body);
  return parsed.success ? { code: parsed.data.code, reason: parsed.data.reason, message: parsed.data.message } : undefined;
}

function parseWith<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new NovitaInvalidResponseError('', `expected a JSON object for ${what}, got ${describe(body)}`);
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? formatPath(issue.path) : '';
  // The message names the field and what was wrong, never the value: a value could be a credential.
  throw new NovitaInvalidResponseError(field, issue?.message ?? 'invalid');
}

/** A copy of `value` without its `undefined` fields, and `undefined` when nothing is left. */
function compact<T extends object>(value: T | null | undefined): { [K in keyof T]?: Exclude<T[K], null | undefined> } | undefined {
  if (!value) return undefined;
  const copy: Record<string, unknown> = {};
  let kept = 0;
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined || inner === null) continue;
    copy[key] = inner;
    kept += 1;
  }
  return kept === 0 ? undefined : (copy as { [K in keyof T]?: Exclude<T[K], null | undefined> });
}

/**
 * One copy of each repeated string of a page (image, product, cluster, env keys): a large account's
 * instances mostly share them, and a listing of 50,000 instances would otherwise hold 50,000 copies.
 */
type Intern = <T extends string | undefined>(text: T) => T;

function createIntern(): Intern {
  const seen = new Map<string, string>();
  return <T extends string | undefined>(text: T): T => {
    if (text === undefined) return text;
    const known = seen.get(text);
    if (known !== undefined) return known as T;
    seen.set(text, text);
    return text;
  };
}

/**
 * The client's instance: the allowlisted fields only, in one fixed order (so instances share one
 * shape in memory), strings as the schema left them (URL secrets already redacted by `novitaText`).
 */
function toDetail(item: ParsedInstance, rawItem: unknown, intern: Intern): NovitaInstanceDetail {
  const detail: NovitaInstanceDetail = { id: item.id, status: item.status };
  // Named stores only: V8 turns an object that gains more than a dozen properties through keyed
  // stores (`detail[key] = ...`) into a hash table, six times the size.
  if (item.name !== undefined) detail.name = item.name;
  if (item.clusterId !== undefined) detail.clusterId = intern(item.clusterId);
  if (item.clusterName !== undefined) detail.clusterName = intern(item.clusterName);
  if (item.productId !== undefined) detail.productId = intern(item.productId);
  if (item.productName !== undefined) detail.productName = intern(item.productName);
  if (item.imageUrl !== undefined) detail.imageUrl = intern(item.imageUrl);
  if (item.imageAuthId !== undefined) detail.imageAuthId = intern(item.imageAuthId);
  if (item.command !== undefined) detail.command = intern(item.command);
  if (item.entrypoint !== undefined) detail.entrypoint = intern(item.entrypoint);
  if (item.kind !== undefined) detail.kind = intern(item.kind);
  if (item.cpuNum !== undefined) detail.cpuNum = item.cpuNum;
  if (item.memory !== undefined) detail.memory = item.memory;
  if (item.gpuNum !== undefined) detail.gpuNum = item.gpuNum;
  if (item.rootfsSize !== undefined) detail.rootfsSize = item.rootfsSize;
  if (item.createdAt !== undefined) detail.createdAt = item.createdAt;
  if (item.lastStartedAt !== undefined) detail.lastStartedAt = item.lastStartedAt;
  if (item.lastStoppedAt !== undefined) detail.lastStoppedAt = item.lastStoppedAt;
  const portMappings = item.portMappings?.map((mapping) => compact(mapping) as NovitaPortMapping);
  if (portMappings !== undefined) detail.portMappings = portMappings;
  const envs = item.envs?.map((variable) => ({ key: intern(variable.key), value: REDACTED }));
  if (envs !== undefined) detail.envs = envs;
  const volumeMounts = item.volumeMounts?.map((mount) => compact(mount) ?? {});
  if (volumeMounts !== undefined) detail.volumeMounts = volumeMounts;
  if (item.statusError && (item.statusError.state || item.statusError.message)) {
    detail.statusError = { state: item.statusError.state ?? '', message: item.statusError.message ?? '' };
  }
  if (item.billingMode !== undefined) detail.billingMode = intern(item.billingMode);
  if (item.endTime !== undefined) detail.endTime = item.endTime;
  if (item.spotStatus !== undefined) detail.spotStatus = intern(item.spotStatus);
  if (item.spotReclaimTime !== undefined) detail.spotReclaimTime = item.spotReclaimTime;
  const network = item.network ? (compact(item.network) ?? {}) : undefined;
  if (network !== undefined) detail.network = network;
  const node = item.node?.map((entry) => compact(entry) ?? {});
  if (node !== undefined) detail.node = node;
  if (item.freeStorageSize !== undefined) detail.freeStorageSize = item.freeStorageSize;
  if (item.keepDataDay !== undefined) detail.keepDataDay = item.keepDataDay;
  const connectComponentSSH = compact(item.connectComponentSSH);
  if (connectComponentSSH !== undefined) detail.connectComponentSSH = connectComponentSSH;
  const connectComponentWebTerminal = compact(item.connectComponentWebTerminal);
  if (connectComponentWebTerminal !== undefined) detail.connectComponentWebTerminal = connectComponentWebTerminal;
  const connectComponentJupyter = compact(item.connectComponentJupyter);
  if (connectComponentJupyter !== undefined) detail.connectComponentJupyter = connectComponentJupyter;
  const connectComponentLog = compact(item.connectComponentLog);
  if (connectComponentLog !== undefined) detail.connectComponentLog = connectComponentLog;
  if (rawItem !== undefined) detail.raw = redactCredentials(rawItem) as Record<string, unknown>;
  return detail;
}

/** `['instances', 3, 'status']` -> `instances[3].status`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value;
}
