import type { NovitaInstance } from '../core/ports/novita-client.js';

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

/** The SSH access of an instance (get-one only). Its `password` is never kept. */
export interface NovitaConnectSsh {
  /** For example `ssh root@ssh.example -p 31022`. */
  sshCommand?: string;
  /** Whether Novita reports the SSH server as running; absent when Novita sent no boolean. */
  isRunning?: boolean;
}

/** The web terminal of an instance (get-one only). Its `password` is never kept. */
export interface NovitaConnectWebTerminal {
  /** The terminal's URL. */
  address?: string;
  /** The login name, for example `root`. */
  username?: string;
  /** Whether Novita reports the web terminal as running; absent when Novita sent no boolean. */
  isRunning?: boolean;
}

/** The Jupyter server of an instance (get-one only). A `password` or `token` is never kept. */
export interface NovitaConnectJupyter {
  /** The instance port Jupyter serves on, for example `8888`; absent when Novita sent no integer. */
  port?: number;
  /** The Jupyter URL (a `token` query parameter redacted). */
  address?: string;
  /** Whether Novita reports the Jupyter server as running; absent when Novita sent no boolean. */
  isRunning?: boolean;
}

/** Where an instance's logs are read (get-one only). */
export interface NovitaConnectLog {
  /** The URL of the instance's system log, as Novita sent it (a password or token in it redacted). */
  systemLogAddress?: string;
  /** The URL of the instance's own log, as Novita sent it (a password or token in it redacted). */
  instanceLogAddress?: string;
  /** Whether Novita reports the log service as running; absent when Novita sent no boolean. */
  isRunning?: boolean;
}

/**
 * A Novita instance as the built-in client returns it: the core {@link NovitaInstance} fields and every
 * other documented field of Novita's instance, normalised (numbers sent as strings become numbers,
 * Unix-second timestamps become ISO 8601 strings, `"0"`/`"-1"` timestamps and `""` enum values become
 * absent).
 *
 * Kept by allowlist: exactly the fields typed here, and nothing else Novita sends (an unknown field is
 * dropped, so a credential Novita adds one day is never held). Credentials are never kept: `envs`
 * values are replaced by `"[redacted]"` (keys kept); `sshPassword`, `imageAuth`, `authorization`, and
 * passwords and tokens inside the connect components are dropped; a password or token in a URL
 * (`user:pass@`, `?token=`) is replaced by `[redacted]`.
 *
 * Descriptive fields (`cpuNum`, `portMappings`, ...) that arrive in an undocumented shape are left out;
 * the fields the reconciler relies on (`id`, `status`, `name`, `clusterId`, `productName`, timestamps)
 * make the response invalid instead.
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
  /** The id of the registry credentials the image is pulled with (an id, not the credentials); absent when Novita sent `""`. */
  imageAuthId?: string;
  /** The container command, as given at create; absent when Novita sent `""`. */
  command?: string;
  /** The container entrypoint, as given at create; absent when Novita sent `""`. */
  entrypoint?: string;
  /** The node the instance runs on (get-one only). */
  node?: Array<{ maxRootfsSize?: number }>;
  /** SSH access (get-one only), without its password. */
  connectComponentSSH?: NovitaConnectSsh;
  /** Web terminal (get-one only), without its password. */
  connectComponentWebTerminal?: NovitaConnectWebTerminal;
  /** Jupyter (get-one only), without password or token. */
  connectComponentJupyter?: NovitaConnectJupyter;
  /** Log addresses (get-one only). */
  connectComponentLog?: NovitaConnectLog;
  /**
   * Every field Novita sent, credentials redacted, only when the client was created with
   * `keepRaw: true` (a second copy of each instance, so off by default).
   */
  raw?: Record<string, unknown>;
}

/**
 * A listing from the built-in client: proven complete (`complete: true`: distinct ids equal to the
 * `total` Novita announced, no walk shifted) or unproven (`complete: false`, with `reason`), in which
 * case absence from it proves nothing about an instance.
 */
export interface NovitaInstanceListing {
  /** The instances read, one per id. */
  instances: NovitaInstanceDetail[];
  /** Novita's announced total (equals `instances.length` when complete); absent when Novita sent none. */
  total?: number;
  /**
   * The walks over the pages this listing took: 1 when the first walk passed every check, more when
   * the listing shifted between page reads and was read again (see the client's `listing` option).
   */
  walks: number;
  /** Whether the listing is proven complete. */
  complete: boolean;
  /** Why it is not, for a person; present exactly when `complete` is `false`. */
  reason?: string;
}
