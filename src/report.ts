/**
 * The report of a sync run: what every record became, what each action did, and why. Types only; it
 * imports nothing, so the errors (which carry a failed run's report on `error.report`) depend on nothing else.
 */
/** What an action does to a record. */
export type ActionKind =
  /** The record's status or Novita status is refreshed from Novita (or a terminated record is revived). */
  | 'refresh'
  /** The record is marked `terminated` because its instance is gone. */
  | 'markTerminated'
  /** The record is deleted from the store. */
  | 'remove'
  /** A terminated record without `timestamps.terminated` gets one, so that retention can count from it. */
  | 'stampTerminated'
  /**
   * A record without a readable `timestamps.created` gets `timestamps.firstSeen` (once), so that its
   * age counts from when the library first saw it instead of being guessed.
   */
  | 'stampFirstSeen'
  /** A record is created for a Novita instance that no record named (`novitaOnly: 'adopt'`). */
  | 'adopt';

/** Why an action was taken. */
export type ActionReason =
  /** Novita's status maps to a different local status, or Novita's raw status changed. */
  | 'status-changed'
  /** The record was terminated, but its instance is alive at Novita. */
  | 'instance-alive'
  /** The instance was absent from the listing, but `getInstance` found it alive: refreshed from that. */
  | 'listing-lagged'
  /** Novita lists or returns the instance as `toRemove`, `removing` or `removed`. */
  | 'instance-deleted'
  /** The instance is absent from the listing and Novita confirmed it does not exist (or confirmation is off). */
  | 'instance-not-found'
  /** The record never got a started instance (`creating`/`created`/`starting`, no `timestamps.started`) and its instance is gone or was never assigned. */
  | 'never-started'
  /** A terminated record is older than `obsoleteRetentionDays`. */
  | 'retention-expired'
  /** A terminated record lacked `timestamps.terminated`. */
  | 'terminated-timestamp-missing'
  /** A record lacked a readable `timestamps.created` and `timestamps.firstSeen`: its age starts now. */
  | 'created-timestamp-missing'
  /** A Novita instance without a record. */
  | 'novita-only';

/**
 * What happened to an action: `planned` (dry run), `applied`, `conflict` (the record changed since
 * it was read: left for the next run), `missing` (the record was deleted meanwhile; for a removal, that
 * counts as done), `not-applied` (the run stopped before this write was sent, or the store refused the
 * batch before attempting it), `unknown` (the write was sent but its answer never came: the store did not
 * answer within the deadline, or the run was aborted or lost its lease while waiting; the next run reads
 * what happened).
 */
export type ActionOutcome = 'planned' | 'applied' | 'conflict' | 'missing' | 'not-applied' | 'unknown';

/** One action of a run, as reported, logged and emitted. Never carries Novita credentials. */
export interface SyncAction {
  kind: ActionKind;
  /** The record's id. */
  recordId: string;
  /** The Novita instance id, or `null` when the record has none. */
  novitaInstanceId: string | null;
  /** The local status before (`null` for an adoption). */
  from: string | null;
  /** The local status after (`null` for a removal). */
  to: string | null;
  reason: ActionReason;
  /** Novita's status as last seen for this instance, or `null` when Novita does not list it. */
  novitaStatus: string | null;
  outcome: ActionOutcome;
}

/** Why records were left alone. */
export interface SkippedCounts {
  /** Inside the creation grace period. */
  grace: number;
  /** Novita reports a status the map does not know. */
  unknownStatus: number;
  /** The stored value could not be decoded. */
  invalid: number;
  /** Two or more records name the same Novita instance. */
  duplicate: number;
  /** Outside the reconciler's `scope`. */
  outOfScope: number;
  /** Obsolete or retention handling held back by the safety limit. */
  safety: number;
}

/** Whether the safety limit held back obsolete handling this run. */
export interface SafetyReport {
  tripped: boolean;
  /** Why it tripped, for a person. */
  reason?: string;
  /** Obsolete candidates counted before confirmation. */
  candidates: number;
  /** Records with a Novita id, outside the grace period and not terminated: the ones that should be alive. */
  eligible: number;
  /** Whether `forceSync` overrode a trip. */
  overridden: boolean;
}

/**
 * What the confirmations of a run did (step 5): each obsolete candidate absent from the listing is
 * asked about with `getInstance`. A circuit breaker (too many failures in a row) or the time budget can
 * stop the step early; the candidates not confirmed then are left `unverified` for the next run.
 */
export interface ConfirmationReport {
  /** Candidates that needed a confirmation. */
  requested: number;
  /** Confirmed gone: Novita's documented not-found, or an instance in a deleting status. */
  gone: number;
  /** Found alive: the listing lagged; the record is refreshed instead. */
  alive: number;
  /** Asked, but the answer proved nothing (an error, a timeout, a 404): left unverified. */
  failed: number;
  /** Never asked, or abandoned in flight, because the step stopped early: left unverified. */
  notAttempted: number;
  /** Why the step stopped before asking about every candidate, or `null` when it did not. */
  stoppedBy: 'circuit-breaker' | 'budget' | null;
}

/** A Novita instance without a record, as reported (no credentials). */
export interface NovitaOnlyInstance {
  novitaInstanceId: string;
  name: string | null;
  status: string;
}

/** The options a run was called with, resolved. */
export interface SyncRunOptions {
  dryRun: boolean;
  handleObsoleteInstances: boolean;
  forceSync: boolean;
}

/**
 * The result of one sync run. Every record present before the run lands in exactly one of
 * `updated`, `markedTerminated`, `removed`, `unchanged`, `conflicts`, `unverified`, `notApplied`,
 * `unknown` and the `skipped` reasons; these add up to `beforeSync`.
 */
export interface SyncReport {
  /** A unique id of this run. */
  runId: string;
  /** Records before the run (valid or not). */
  beforeSync: number;
  /** Records after the run (or that a dry run would leave). */
  afterSync: number;
  /** Records refreshed from Novita (including revived and timestamp-stamped ones). */
  updated: number;
  /** Records marked terminated. */
  markedTerminated: number;
  /** Records removed (obsolete, never started, or past retention). */
  removed: number;
  /** Records that needed no write. */
  unchanged: number;
  /** Records whose write met a concurrent change; left for the next run. */
  conflicts: number;
  /** Obsolete candidates whose confirmation with Novita failed; left for the next run. */
  unverified: number;
  /** Records whose write was planned but not attempted because the run stopped (only in `error.report`). */
  notApplied: number;
  /**
   * Records whose write was sent but whose answer never came (the store missed its deadline, or the run
   * was aborted or lost its lease while waiting): it may or may not have landed (only in `error.report`).
   */
  unknown: number;
  /** Records left alone, per reason. */
  skipped: SkippedCounts;
  /** Obsolete candidates found (before the safety limit and confirmation). */
  obsoleteCandidates: number;
  /** What the confirmations with `getInstance` did, and whether they stopped early. */
  confirmations: ConfirmationReport;
  /** Walks over Novita's listing pages this run took: more than 1 when the listing shifted while it was read. */
  listingWalks: number;
  /** Instances in the Novita listing. */
  novitaInstances: number;
  /** Records before the run (= `beforeSync`; kept under this name too because the seed system's sync response had it). */
  localInstances: number;
  /** Records matched to an instance of the listing. */
  mergedInstances: number;
  /** Records after the run plus Novita-only instances not adopted. */
  totalInstances: number;
  /** `beforeSync - afterSync + adopted`: records that left the store. */
  instancesRemoved: number;
  /** Records created for Novita-only instances. */
  adopted: number;
  /** Novita instances without a record (in scope, not being deleted) and not adopted. */
  novitaOnly: NovitaOnlyInstance[];
  safety: SafetyReport;
  /** Run time in milliseconds. */
  duration: number;
  /** When the run started, ISO 8601. */
  timestamp: string;
  dryRun: boolean;
  options: SyncRunOptions;
  /** Every action, in the order it was planned, with its outcome. */
  actions: SyncAction[];
}
