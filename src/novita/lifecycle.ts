/**
 * What Novita's create endpoint takes. The documented fields are typed; anything else Novita accepts
 * (`ports`, `envs`, `clusterId`, `billingMode`, `imageAuth`, `command`, ...) is passed through as given.
 * The body is never logged nor put into an error, because `envs` and image credentials may hold secrets.
 */
export interface NovitaCreateInstanceInput {
  /** Product id, for example `4090.16c62g`. */
  productId: string;
  /** GPUs to attach. */
  gpuNum: number;
  /** Root filesystem size in GB. */
  rootfsSize: number;
  /** The container image. */
  imageUrl: string;
  /** `gpu` or `cpu`. */
  kind: 'gpu' | 'cpu' | (string & {});
  /** The instance name. */
  name?: string;
  /** Any other field Novita's create endpoint accepts. */
  [field: string]: unknown;
}

/** What a create resolves: the id Novita assigned. */
export interface NovitaCreatedInstance {
  /** Novita's id of the new instance. */
  id: string;
}

/** What start, stop, restart and delete resolve. */
export interface NovitaLifecycleResult {
  /** The instance the call was about. */
  instanceId: string;
  /** The state Novita reported, when its answer carried one. */
  state?: string;
  /**
   * `true` when a delete found the instance already gone or already being removed, so nothing was
   * asked of Novita beyond finding that out.
   */
  alreadyGone?: boolean;
}
