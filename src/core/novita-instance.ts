/**
 * A Novita instance as the reconciler needs it. The built-in client (`novita-reconciler/novita`)
 * resolves richer objects that extend this one; a custom client needs to provide only these fields.
 */
export interface NovitaInstance {
  /** Novita's instance id. */
  id: string;
  /** Novita's status string, passed through as Novita sent it (unknown values included). */
  status: string;
  /** The instance name. */
  name?: string;
  /** When the instance was created, ISO 8601. */
  createdAt?: string;
  /** When the instance last started, ISO 8601; absent when it never started. */
  lastStartedAt?: string;
  /** When the instance last stopped, ISO 8601; absent when it never stopped. */
  lastStoppedAt?: string;
  /** Cluster id, for example `us-ca-6`. */
  clusterId?: string;
  /** Product name, for example `RTX 4090 24GB`. */
  productName?: string;
  /** Any other fields the client keeps. The reconciler never copies them into records, reports, events or logs. */
  [key: string]: unknown;
}

/** A complete Novita listing: every instance of the account, distinct ids, as many as `total`. */
export interface NovitaListing {
  instances: NovitaInstance[];
  /** Novita's announced total; equals `instances.length` for a complete listing. */
  total: number;
}

/** Options every Novita call takes. */
export interface NovitaCallOptions {
  signal?: AbortSignal;
}

/**
 * What the reconciler needs from a Novita client. The built-in `createNovitaClient` implements it;
 * so can a test double or a client of your own.
 */
export interface NovitaClient {
  /**
   * Every instance of the account. Resolves only with a complete listing (all pages, distinct ids
   * equal to `total`); rejects otherwise. Never resolves a failed or partial listing as empty.
   */
  listInstances(options?: NovitaCallOptions): Promise<NovitaListing>;
  /**
   * One instance, or `null` only when Novita said it does not exist. Any failure rejects.
   */
  getInstance(id: string, options?: NovitaCallOptions): Promise<NovitaInstance | null>;
  /** How many requests the client allows at once; the reconciler confirms candidates within this bound. */
  readonly maxConcurrency?: number;
}

/** Novita statuses that mean the instance is being deleted or is deleted. */
export const GONE_STATUSES: ReadonlySet<string> = new Set(['toRemove', 'removing', 'removed']);
