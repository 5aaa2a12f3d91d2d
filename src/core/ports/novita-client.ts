/**
 * The Novita client port: what the reconciler needs from a Novita client (`NovitaClient`) and the
 * instance and listing shapes it exchanges. The built-in client (novita-reconciler/novita) implements it.
 */
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

/**
 * A Novita listing, as a client delivers it: proven complete, or unproven (then absence from it proves
 * nothing about an instance, and the reconciler confirms each absent record's instance before acting).
 */
export interface NovitaListing {
  /** The instances read, each once (the reconciler rejects a listing with a repeated id). */
  instances: NovitaInstance[];
  /** Novita's announced total; equals `instances.length` for a complete listing. Absent when Novita sent none. */
  total?: number;
  /**
   * Whether the client proved the listing complete (every page read, distinct ids equal to `total`, no
   * shift while reading). A client that does not say is taken as complete only when its distinct ids
   * equal its `total`, and as unproven otherwise.
   */
  complete?: boolean;
  /** Why the listing is not proven complete, for a person. */
  reason?: string;
  /**
   * How many walks over the pages this listing took: 1 when the first walk passed every check, more
   * when the listing shifted between page reads and the walk was restarted. Optional for custom clients.
   */
  walks?: number;
}

/** Options every Novita call takes. */
export interface NovitaCallOptions {
  /** Aborts the call: it rejects with `ABORTED` (the built-in client stops its retries and requests in flight). */
  signal?: AbortSignal;
}

/** Why a listing walk was thrown away and started again. */
export interface ListingRestart {
  /** The walk that saw the shift (1 for the first). */
  walk: number;
  /** What shifted, for a person: "total changed from 240 to 241 between pages", "page 3 repeated page 2". */
  reason: string;
}

/** Progress of a listing, page by page. */
export interface ListingProgress {
  /** Pages read so far in the current walk. */
  pagesRead: number;
  /** Pages the current walk needs (known once page 1 told the total). */
  pagesTotal?: number;
  /** The current walk (1 for the first). */
  walk: number;
}

/** Options of {@link NovitaClient.listInstances}. */
export interface ListInstancesCallOptions extends NovitaCallOptions {
  /** Called when a walk saw the listing shift and starts again. Errors it throws are ignored. */
  onRestart?: (restart: ListingRestart) => void;
  /** Called after each page read. Errors it throws are ignored. */
  onProgress?: (progress: ListingProgress) => void;
}

/**
 * What the reconciler needs from a Novita client. The built-in `createNovitaClient` implements it;
 * so can a test double or a client of your own.
 */
export interface NovitaClient {
  /**
   * Every instance of the account. Resolves a listing that says whether it is proven complete
   * (`complete`), or rejects (a failed page, a refused key, a malformed or rate-limited page). Never
   * resolves a failed or partial listing as complete.
   */
  listInstances(options?: ListInstancesCallOptions): Promise<NovitaListing>;
  /**
   * One instance, or `null` only when Novita said it does not exist in its documented way (HTTP 400
   * with `reason: RESOURCE_NOT_FOUND`). Any other answer, a 404 from a route or gateway included,
   * proves nothing and rejects.
   */
  getInstance(id: string, options?: NovitaCallOptions): Promise<NovitaInstance | null>;
  /** How many requests the client allows at once; the reconciler confirms candidates within this bound. */
  readonly maxConcurrency?: number;
  /**
   * Stops an instance (Novita's stopped state is `exited`). Optional: needed only by
   * `policy.novitaOnly: 'stop' | 'delete'`, which `createReconciler` refuses without it. Resolves when
   * Novita accepted the call; rejects otherwise. The reconciler never retries it within a run.
   */
  stopInstance?(id: string, options?: NovitaCallOptions): Promise<unknown>;
  /**
   * Deletes an instance. Optional: needed only by `policy.novitaOnly: 'delete'`, which `createReconciler`
   * refuses without it. Resolves when Novita accepted the call (or the instance was already gone); rejects otherwise.
   */
  deleteInstance?(id: string, options?: NovitaCallOptions): Promise<unknown>;
}

/** Novita statuses that mean the instance is being deleted or is deleted. */
export const GONE_STATUSES: ReadonlySet<string> = new Set(['toRemove', 'removing', 'removed']);
