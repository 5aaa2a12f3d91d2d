import type { NovitaInstance } from './novita-client.js';
import type { InstanceRecord } from './record.js';

/**
 * The fields of a Novita instance that are safe to show: a whitelist, so credentials a client may
 * carry (`envs` values, `sshPassword`, passwords inside connect components) never leak into a view.
 */
export interface PublicInstance {
  id: string;
  status: string;
  name?: string;
  clusterId?: string;
  clusterName?: string;
  productId?: string;
  productName?: string;
  kind?: string;
  gpuNum?: number | string;
  cpuNum?: number | string;
  memory?: number | string;
  imageUrl?: string;
  billingMode?: string;
  createdAt?: string;
  lastStartedAt?: string;
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
  instances: InstanceViewRow[];
  counts: {
    /** Records whose instance is not in the listing. */
    local: number;
    /** Instances no record names. */
    novita: number;
    /** Records matched to an instance. */
    merged: number;
    total: number;
  };
}

/**
 * Merges records and a listing into one view: each record once (`merged` when its instance is
 * listed, else `local`), then each listed instance no record names (`novita`) when asked for.
 */
export function mergeInstanceView(records: readonly InstanceRecord[], instances: readonly NovitaInstance[], includeNovitaOnly: boolean): InstanceView {
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
