/**
 * Novita v1 response parsing: the only place that knows v1's field names and quirks (numbers sent as
 * strings, Unix seconds sent as strings, `"0"` for never, `""` enum values). Transport knows nothing of
 * this, so a v2 adapter can bring its own schemas beside these.
 */
import { z } from 'zod';
import { NovitaInvalidResponseError } from '../errors.js';
import type { NovitaInstanceDetail } from './instance-detail.js';
import { redactCredentials } from './redact.js';

const INTEGER_TEXT = /^\s*-?\d+\s*$/;

/** An integer sent as a number or as a string of digits. */
const integer = z.union([
  z.number().int(),
  z.string().regex(INTEGER_TEXT, 'expected an integer').transform((text) => Number.parseInt(text, 10)),
]);

/** Descriptive numbers: an undocumented shape drops the typed value instead of failing the response. */
const lenientInteger = integer.optional().catch(undefined);

const optionalText = z
  .string()
  .nullish()
  .transform((text) => text ?? undefined);

/** Enum-like strings: `""` (which Novita sends) becomes absent, unknown values pass through. */
const optionalEnumText = z
  .string()
  .nullish()
  .transform((text) => (text ? text : undefined));

const lenientText = optionalText.catch(undefined);
const lenientEnumText = optionalEnumText.catch(undefined);

/**
 * A point in time as Novita may send it: Unix seconds (number or string), Unix milliseconds (numbers
 * too large to be seconds), or an ISO 8601 string. `0`, negative values (`"-1"`), `""` and `null` mean
 * "never" and become absent.
 */
const timestamp = z.union([z.number(), z.string(), z.null()]).optional().transform((value, context) => {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value.trim() : undefined;
  if (text === '') return undefined;
  const numeric = typeof value === 'number' ? value : INTEGER_TEXT.test(text ?? '') || /^\s*-?\d+\.\d+\s*$/.test(text ?? '') ? Number(text) : undefined;
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

const portMapping = z.looseObject({ port: integer, type: optionalText, endpoint: optionalText });
const volumeMount = z.looseObject({ type: optionalText, size: lenientInteger, id: optionalText, mountPath: optionalText });
const env = z.looseObject({ key: z.string() });
const statusError = z.looseObject({ state: z.string().nullish(), message: z.string().nullish() });
const network = z.looseObject({ id: lenientText, ip: lenientText });

/** One v1 instance, as a list item or as the get-one body. */
const instanceSchema = z.looseObject({
  id: z.string().min(1, 'expected a non-empty instance id'),
  status: z.string().min(1, 'expected a non-empty status'),
  name: optionalText,
  clusterId: optionalText,
  clusterName: lenientText,
  productId: lenientText,
  productName: optionalText,
  imageUrl: lenientText,
  kind: lenientEnumText,
  cpuNum: lenientInteger,
  memory: lenientInteger,
  gpuNum: lenientInteger,
  rootfsSize: lenientInteger,
  createdAt: timestamp,
  lastStartedAt: timestamp,
  lastStoppedAt: timestamp,
  portMappings: z.array(portMapping).nullish().catch(undefined),
  envs: z.array(env).nullish().catch(undefined),
  volumeMounts: z.array(volumeMount).nullish().catch(undefined),
  statusError: statusError.nullish().catch(undefined),
  billingMode: lenientEnumText,
  endTime: lenientTimestamp,
  spotStatus: lenientEnumText,
  spotReclaimTime: lenientTimestamp,
  network: network.nullish().catch(undefined),
  freeStorageSize: lenientInteger,
  keepDataDay: lenientInteger,
});

const listPageSchema = z.looseObject({
  // Go encodes an empty slice as null; an empty page is still a page.
  instances: z
    .array(instanceSchema)
    .nullable()
    .transform((items) => items ?? []),
  total: integer.pipe(z.number().int().nonnegative('expected a non-negative total')),
  pageSize: lenientInteger,
  pageNum: lenientInteger,
});

const createdSchema = z.looseObject({ id: z.string().min(1, 'expected the new instance id') });

const lifecycleSchema = z
  .looseObject({ instanceId: lenientText, state: lenientText })
  .nullish()
  .catch(undefined);

const errorEnvelopeSchema = z.looseObject({
  code: integer,
  reason: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  message: z.string(),
});

type ParsedInstance = z.output<typeof instanceSchema>;

/** One page of `GET /gpu/instances`, parsed. */
export interface V1ListPage {
  /** The items of this page, in Novita's order. */
  instances: NovitaInstanceDetail[];
  /** The `total` this page announced. */
  total: number;
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

/** Parses a list page. Rejects with `NOVITA_INVALID_RESPONSE` naming the first bad field. */
export function parseV1ListPage(body: unknown): V1ListPage {
  const parsed = parseWith(listPageSchema, body, 'list');
  const rawItems = (body as { instances?: unknown[] | null }).instances ?? [];
  return {
    instances: parsed.instances.map((item, index) => toDetail(item, rawItems[index])),
    total: parsed.total,
    ...(parsed.pageSize === undefined ? {} : { pageSize: parsed.pageSize }),
    ...(parsed.pageNum === undefined ? {} : { pageNum: parsed.pageNum }),
  };
}

/** Parses the get-one body. Rejects with `NOVITA_INVALID_RESPONSE` naming the first bad field. */
export function parseV1Instance(body: unknown): NovitaInstanceDetail {
  return toDetail(parseWith(instanceSchema, body, 'instance'), body);
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

function toDetail(item: ParsedInstance, rawItem: unknown): NovitaInstanceDetail {
  const detail: NovitaInstanceDetail = {
    id: item.id,
    status: item.status,
    raw: redactCredentials(rawItem) as Record<string, unknown>,
  };
  const copy = <K extends keyof NovitaInstanceDetail>(key: K, value: NovitaInstanceDetail[K] | undefined): void => {
    if (value !== undefined) detail[key] = value;
  };
  copy('name', item.name);
  copy('clusterId', item.clusterId);
  copy('clusterName', item.clusterName);
  copy('productId', item.productId);
  copy('productName', item.productName);
  copy('imageUrl', item.imageUrl);
  copy('kind', item.kind);
  copy('cpuNum', item.cpuNum);
  copy('memory', item.memory);
  copy('gpuNum', item.gpuNum);
  copy('rootfsSize', item.rootfsSize);
  copy('createdAt', item.createdAt);
  copy('lastStartedAt', item.lastStartedAt);
  copy('lastStoppedAt', item.lastStoppedAt);
  copy(
    'portMappings',
    item.portMappings?.map((mapping) => ({
      port: mapping.port,
      ...(mapping.type === undefined ? {} : { type: mapping.type }),
      ...(mapping.endpoint === undefined ? {} : { endpoint: mapping.endpoint }),
    })),
  );
  copy('envs', item.envs?.map((variable) => ({ key: variable.key, value: '[redacted]' })));
  copy(
    'volumeMounts',
    item.volumeMounts?.map((mount) => {
      const typed: NonNullable<NovitaInstanceDetail['volumeMounts']>[number] = {};
      if (mount.type !== undefined) typed.type = mount.type;
      if (mount.size !== undefined) typed.size = mount.size;
      if (mount.id !== undefined) typed.id = mount.id;
      if (mount.mountPath !== undefined) typed.mountPath = mount.mountPath;
      return typed;
    }),
  );
  if (item.statusError && (item.statusError.state || item.statusError.message)) {
    detail.statusError = { state: item.statusError.state ?? '', message: item.statusError.message ?? '' };
  }
  copy('billingMode', item.billingMode);
  copy('endTime', item.endTime);
  copy('spotStatus', item.spotStatus);
  copy('spotReclaimTime', item.spotReclaimTime);
  if (item.network) {
    detail.network = {
      ...(item.network.id === undefined ? {} : { id: item.network.id }),
      ...(item.network.ip === undefined ? {} : { ip: item.network.ip }),
    };
  }
  copy('freeStorageSize', item.freeStorageSize);
  copy('keepDataDay', item.keepDataDay);
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
