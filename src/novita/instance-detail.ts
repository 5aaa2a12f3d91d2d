import type { NovitaInstance } from '../core/novita-instance.js';

/**
 * Novita's documented instance statuses, plus `pending` (seen right after a create). Any other string
 * Novita sends is passed through unchanged: an unknown status is never an error and never means "gone".
 */
export type NovitaInstanceStatus =
  | 'pending'
  | 'toCreate'
  | 'creating'
  | 'pulling'
  | 'running'
  | 'toStart'
  | 'starting'
  | 'toStop'
  | 'stopping'
  | 'exited'
  | 'toRestart'
  | 'restarting'
  | 'toRemove'
  | 'removing'
  | 'removed'
  | 'toReset'
  | 'resetting'
  | 'migrating'
  | 'freezing'
  | (string & {});

/** A port an instance exposes. */
export interface NovitaPortMapping {
  /** The port inside the instance. */
  port: number;
  /** The protocol, for example `http` or `tcp`. */
  type?: string;
  /** The public address Novita assigned, when it did. */
  endpoint?: string;
}

/** An environment variable of an instance. Its value is always `"[redacted]"`: values often hold tokens. */
export interface NovitaEnv {
  /** The variable name. */
  key: string;
  /** Always `"[redacted]"`. */
  value: string;
}

/** A volume mounted into an instance. */
export interface NovitaVolumeMount {
  /** The volume type, for example `local` or `network`. */
  type?: string;
  /** Size in GB. */
  size?: number;
  /** The volume id. */
  id?: string;
  /** Where it is mounted inside the instance. */
  mountPath?: string;
}

/**
 * A Novita instance as the built-in client returns it: the core {@link NovitaInstance} fields, Novita's
 * descriptive fields normalised (numbers sent as strings become numbers, Unix-second timestamps become
 * ISO 8601 strings, `"0"`/`"-1"` timestamps and `""` enum values become absent), and every field Novita
 * sent on {@link NovitaInstanceDetail.raw}.
 *
 * Credentials never reach this object: `sshPassword`, passwords inside connect components and `envs`
 * values are replaced by `"[redacted]"`, on `raw` too.
 *
 * Descriptive fields (`cpuNum`, `portMappings`, ...) that arrive in an undocumented shape are left out
 * of the typed view (they stay on `raw`); the fields the reconciler relies on (`id`, `status`, `name`,
 * `clusterId`, `productName`, timestamps) make the response invalid instead.
 */
export interface NovitaInstanceDetail extends NovitaInstance {
  /** Novita's instance id (opaque; seen as 16 lowercase hex characters). */
  id: string;
  /** Novita's status, unknown values passed through. */
  status: NovitaInstanceStatus;
  /** The instance name. */
  name?: string;
  /** Cluster id, for example `us-ca-6`. */
  clusterId?: string;
  /** Cluster display name, for example `US-CA-06`. */
  clusterName?: string;
  /** Product id, for example `4090.16c62g`. */
  productId?: string;
  /** Product name, for example `RTX 4090 24GB` (Novita may send it empty). */
  productName?: string;
  /** The container image. */
  imageUrl?: string;
  /** `gpu` or `cpu`. */
  kind?: 'gpu' | 'cpu' | (string & {});
  /** CPU cores. */
  cpuNum?: number;
  /** Memory in GB. */
  memory?: number;
  /** GPUs. */
  gpuNum?: number;
  /** Root filesystem size in GB. */
  rootfsSize?: number;
  /** When the instance was created, ISO 8601. */
  createdAt?: string;
  /** When the instance last started, ISO 8601; absent when it never started. */
  lastStartedAt?: string;
  /** When the instance last stopped, ISO 8601; absent when it never stopped. */
  lastStoppedAt?: string;
  /** Exposed ports. */
  portMappings?: NovitaPortMapping[];
  /** Environment variables, values redacted. */
  envs?: NovitaEnv[];
  /** Mounted volumes. */
  volumeMounts?: NovitaVolumeMount[];
  /** Why creation failed, when it did (absent when Novita sent empty strings). */
  statusError?: { state: string; message: string };
  /** `onDemand`, `monthly` or `spot`; absent when Novita sent `""`. */
  billingMode?: 'onDemand' | 'monthly' | 'spot' | (string & {});
  /** When a monthly instance ends, ISO 8601; absent for on-demand (`"-1"`). */
  endTime?: string;
  /** Spot state: `running`, `notified`, `reclaiming`, `terminated`; absent when Novita sent `""`. */
  spotStatus?: 'running' | 'notified' | 'reclaiming' | 'terminated' | (string & {});
  /** When a spot instance will be reclaimed, ISO 8601; absent when not scheduled (`"0"`). */
  spotReclaimTime?: string;
  /** Private network (get-one only). */
  network?: { id?: string; ip?: string };
  /** Free storage in GB (get-one only). */
  freeStorageSize?: number;
  /** Days the data is kept after the instance stops (get-one only). */
  keepDataDay?: number;
  /** Every field Novita sent, credentials redacted, for fields this type does not name. */
  raw: Record<string, unknown>;
}

/** A complete listing from the built-in client. */
export interface NovitaInstanceListing {
  /** Every instance of the account, one per id. */
  instances: NovitaInstanceDetail[];
  /** Novita's announced total; equals `instances.length`. */
  total: number;
  /**
   * The walks over the pages this listing took: 1 when the first walk passed every check, more when
   * the listing shifted between page reads and was read again (see the client's `listing` option).
   */
  walks: number;
}
