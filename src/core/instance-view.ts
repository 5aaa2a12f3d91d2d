import type { NovitaInstance } from './ports/novita-client.js';
import type { InstanceRecord } from './record.js';

/**
 * The fields of a Novita instance that are safe to show: a whitelist, so credentials a client may
 * carry (`envs` values, `sshPassword`, passwords inside connect components) never leak into a view.
 */
export interface PublicInstance {
  /** Novita's instance id. */
  id: string;
  /** Novita's raw status (`running`, `exited`, ...), not the local one: the record's `status` is on the row's `record`. */
  status: string;
  /** The instance's name at Novita. */
  name?: string;
  /** The cluster (region) it runs in, for example `us-ca-6`. */
  clusterId?: string;
  /** The cluster's display name, for example `US-CA-06`. */
  clusterName?: string;
  /** The product (machine type) id, for example `4090.16c62g`. */
  productId?: string;
  /** The product name, for example `RTX 4090 24GB`. */
  productName?: string;
  /** `gpu` or `cpu`. */
  kind?: string;
  /** GPUs. A number from the built-in client; a custom client may pass Novita's string (`"1"`). */
  gpuNum?: number | string;
  /** CPU cores. A number from the built-in client; a custom client may pass Novita's string (`"16"`). */
  cpuNum?: number | string;
  /** Memory in GB. A number from the built-in client; a custom client may pass Novita's string (`"62"`). */
  memory?: number | string;
  /** The container image (a password or token inside the URL redacted by the built-in client). */
  imageUrl?: string;
  /** `onDemand`, `monthly` or `spot`, as Novita sent it. */
  billingMode?: string;
  /** When the instance was created: ISO 8601 from the built-in client (a `Date` from a custom client becomes ISO 8601). */
  createdAt?: string;
  /** When the instance last started, ISO 8601 from the built-in client; absent when it never started. */
  lastStartedAt?: string;
  /** When the instance last stopped, ISO 8601 from the built-in client; absent when it never stopped. */
  lastStoppedAt?: string;
}

const PUBLIC_FIELDS = [
  'name',
  'clusterId',
  'clusterName',
  'productId',
  'productName',
  'kind',
  'gpuNum',
  'cpuNum',
  'memory',
  'imageUrl',
  'billingMode',
  'createdAt',
  'lastStartedAt',
  'lastStoppedAt',
] as const;

/** Copies only the whitelisted, scalar fields of an instance. */
export function toPublicInstance(instance: NovitaInstance): PublicInstance {
  const view: Record<string, unknown> = { id: instance.id, status: instance.status };
  for (const field of PUBLIC_FIELDS) {
    const value = instance[field];
    if (typeof value === 'string' || typeof value === 'number') view[field] = value;
    else if (value instanceof Date) view[field] = value.toISOString();
  }
  return view as unknown as PublicInstance;
}

/** One row of the merged view. */
export type InstanceViewRow =
  | { source: 'merged'; id: string; novitaInstanceId: string; record: InstanceRecord; instance: PublicInstance }
  | { source: 'local'; id: string; novitaInstanceId: string | null; record: InstanceRecord; instance: null }
  | { source: 'novita'; id: string; novitaInstanceId: string; record: null; instance: PublicInstance };

/** The merged view of local records and Novita instances. */
export interface InstanceView {
  /**
   * One row per valid record in scope, in the store's order (`merged` when its instance is listed, else
   * `local`), then one per listed instance in scope that no record in scope names (`novita`), unless
   * `includeNovitaOnly: false`. Undecodable records are left out.
   */
  instances: InstanceViewRow[];
  /** The rows per `source`; `local + novita + merged = total`. */
  counts: {
    /** Records whose instance is not in the listing (or that have no Novita id). */
    local: number;
    /** Instances no record names (0 with `includeNovitaOnly: false`). */
    novita: number;
    /** Records matched to an instance. */
    merged: number;
    /** Every row: `instances.length`. */
    total: number;
  };
}

/**
 * Merges records and a listing into one view: each record once (`merged` when its instance is
 * listed, else `local`), then each listed instance no record names (`novita`) when asked for.
 */
export function mergeInstanceView(
  records: readonly InstanceRecord[],
  instances: readonly NovitaInstance[],
  includeNovitaOnly: boolean,
): InstanceView {
  const listed = new Map(instances.map((instance) => [instance.id, instance]));
  const named = new Set<string>();
  const rows: InstanceViewRow[] = [];
  const counts = { local: 0, novita: 0, merged: 0, total: 0 };
  for (const record of records) {
    const novitaId = record.novitaInstanceId;
    if (novitaId !== undefined) named.add(novitaId);
    const instance = novitaId === undefined ? undefined : listed.get(novitaId);
    if (instance && novitaId !== undefined) {
      rows.push({ source: 'merged', id: record.id, novitaInstanceId: novitaId, record, instance: toPublicInstance(instance) });
      counts.merged += 1;
    } else {
      rows.push({ source: 'local', id: record.id, novitaInstanceId: novitaId ?? null, record, instance: null });
      counts.local += 1;
    }
  }
  if (includeNovitaOnly) {
    for (const instance of listed.values()) {
      if (named.has(instance.id)) continue;
      rows.push({ source: 'novita', id: instance.id, novitaInstanceId: instance.id, record: null, instance: toPublicInstance(instance) });
      counts.novita += 1;
    }
  }
  counts.total = rows.length;
  return { instances: rows, counts };
}
