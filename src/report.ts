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
  /**
   * A record matched to a listed instance, otherwise unchanged, that lacks `timestamps.novitaStatusSince`
   * gets it (once), so that a status that stays transitional can be told stuck from then on.
   */
  | 'stampStatusSince'
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
  /** A record lacked `timestamps.novitaStatusSince`: when its current Novita status was first seen starts now. */
  | 'status-since-missing'
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
  /** What the action does to the record (see {@link ActionKind}); with `reason`, it says why the record changed. */
  kind: ActionKind;
  /** The record's id. */
  recordId: string;
  /** The Novita instance id, or `null` when the record has none. */
  novitaInstanceId: string | null;
  /** The local status before (`null` for an adoption). */
  from: string | null;
  /** The local status after (`null` for a removal). */
  to: string | null;
  /** Why the action was taken (see {@link ActionReason}), for example `instance-not-found` for a `markTerminated`. */
  reason: ActionReason;
  /**
   * Novita's status for this instance as this run saw it (in the listing, or from `getInstance` when the
   * listing lacked it), or `null` when the run saw none: absent from the listing and not found, not
   * asked (`confirmObsolete: false`, or a record terminated on Novita's proof), or no Novita id.
   */
  novitaStatus: string | null;
  /**
   * What became of the action's write (see {@link ActionOutcome}): always `planned` in a dry run;
   * `applied`, `conflict` or `missing` in a real run; `not-applied` or `unknown` in the report of a run
   * that failed midway (`error.report`), or `unknown` for a write a store answered no result for.
   */
  outcome: ActionOutcome;
}

/** The grade of the listing a run used. */
export interface ListingReport {
  /** Whether the listing was proven complete (`total` announced, distinct ids equal to it, no walk shifted). */
  complete: boolean;
  /** Why it was not, for a person; present exactly when `complete` is `false`. */
  reason?: string;
  /** Walks over the pages: more than 1 when the listing shifted while it was read. */
  walks: number;
  /** The total Novita announced; `null` when it announced none. */
  total: number | null;
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
  /**
   * Obsolete or retention handling held back because the listing was unproven (see `listing`) and
   * `confirmObsolete` is off: absence from an unproven listing is never acted on without a proof.
   */
  unproven: number;
  /**
   * Records the run would have marked terminated or removed, held back for a later run by a limit on
   * destructive actions: the per-run cap, the window budget or the hold (`limits` says which held how many).
   */
  limit: number;
  /** Records the run would have marked terminated or removed, kept because the application's `livenessCheck` did not answer `false`. */
  liveness: number;
}

/**
 * The hold switch: set by a person (`novita-reconcile hold`), it holds back every destructive action of
 * every run on the store until it is released.
 */
export interface DestructiveHold {
  /** Why it was set, as given (`` when none was). */
  reason: string;
  /** Who set it, as given (the CLI gives `user@host`). */
  by: string;
  /** When it was set, ISO 8601. */
  at: string;
}

/** Which limit held a destructive action back: the per-run cap, the window budget, or the hold. */
export type DestructiveLimit = 'cap' | 'window' | 'hold';

/** One record a limit on destructive actions held back (it counts in `skipped.limit`). */
export interface HeldBackRecord {
  /** The record's id. */
  recordId: string;
  /** The Novita instance id, or `null` when the record has none. */
  novitaInstanceId: string | null;
  /** What the run would have done to it. */
  kind: 'markTerminated' | 'remove';
  /** Why the run would have done it (`instance-not-found`, `never-started`, `retention-expired`, ...). */
  reason: ActionReason;
  /** The limit that held it back. */
  limit: DestructiveLimit;
}

/**
 * The limits on destructive actions (marking terminated, removing) in this run, each with what it held
 * back. They apply after the safety limit and the application's `livenessCheck`, in this order: the
 * per-run cap, the hold, the window budget; `forceSync` lifts none of them. A dry run reports exactly
 * what the real run would hold back (it reads the window, and reserves nothing).
 */
export interface LimitsReport {
  /** `policy.maxDestructivePerRun`, or `null` when no cap is set. */
  maxDestructivePerRun: number | null;
  /**
   * The window budget (`policy.destructiveBudget`), or `null` when none is set: its `max` and
   * `windowMinutes`, the destructive actions reserved within the window before this run (`usedBefore`,
   * by every replica) and by this run (`usedByRun`: reserved for writes that were applied, or whose answer
   * never came; in a dry run, what the run would reserve).
   */
  window: { max: number; windowMinutes: number; usedBefore: number; usedByRun: number } | null;
  /** The hold as the run read it right before its destructive writes, or `null` when none was set (or the store keeps none). */
  hold: DestructiveHold | null;
  /** Destructive actions the run wanted after the liveness check, before these limits. */
  wanted: number;
  /** How many each limit held back (they add up to `skipped.limit`). */
  heldBack: Record<DestructiveLimit, number>;
  /** The records held back, in the order the run would have taken them. */
  records: HeldBackRecord[];
}

/** What a livenessCheck answered for one record it kept. */
export interface LivenessKept {
  /** The record's id. */
  recordId: string;
  /** The Novita instance id, or `null` when the record has none. */
  novitaInstanceId: string | null;
  /**
   * Why it was kept: the check answered something other than `false` (`alive`), threw or rejected
   * (`error`), or did not answer within `livenessTimeoutMs` (`timeout`).
   */
  verdict: 'alive' | 'error' | 'timeout';
  /** The error's message, for `error` and `timeout`. */
  message?: string;
}

/**
 * What the application's `livenessCheck` said this run: it is asked about every record the run would
 * mark terminated or remove as obsolete or never-started (not retention); only `false` lets the run go on.
 */
export interface LivenessReport {
  /** Records asked about (`0` without a `livenessCheck`). */
  checked: number;
  /** Kept because the check answered something other than `false`. */
  alive: number;
  /** Kept because the check threw, rejected or timed out. */
  failed: number;
  /** The records kept (they count in `skipped.liveness`), with why. */
  kept: LivenessKept[];
}

/** Whether the safety limit held back obsolete handling this run. */
export interface SafetyReport {
  /**
   * Whether the limit tripped: `candidates` exceed `maxObsoleteFraction` of `eligible`, and `eligible`
   * is at least `safetyMinRecords`. Unless `overridden`, nothing based on absence from the listing
   * happened this run (those records count under `skipped.safety`); status refreshes still applied.
   */
  tripped: boolean;
  /** Why it tripped, for a person, with the counts and the fraction; present only when `tripped`. */
  reason?: string;
  /**
   * Obsolete candidates whose candidacy rests on the listing (they have a Novita id), counted before
   * any confirmation. Never-started records without a Novita id are not counted here (the report's
   * `obsoleteCandidates` counts them too).
   */
  candidates: number;
  /** Records with a Novita id, outside the grace period and not terminated: the ones that should be alive. */
  eligible: number;
  /** Whether `forceSync` overrode a trip (`tripped` and `forceSync`); always `false` when not `tripped`. */
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
  /** Novita's id of the instance that no stored record names. */
  novitaInstanceId: string;
  /** The instance's name at Novita, or `null` when Novita sent none. */
  name: string | null;
  /** Novita's raw status (never a deleting one: instances being deleted are not reported). */
  status: string;
  /**
   * Whole minutes since Novita created the instance: from `createdAt` in the listing, else (for an owned
   * instance) from `getInstance`, asked within the run's confirmation limits; `null` when neither gave it.
   */
  ageMinutes: number | null;
  /**
   * Whether the instance is in the reconciler's `scope.instance` (always `true` without one): an owned
   * instance that no record names is an *orphan* (counted in `report.orphans`). One that is not owned
   * may belong to another environment's records; it is listed, never adopted, stopped or deleted.
   */
  owned: boolean;
  /** USD per hour, as `priceOf` answered; `null` without `priceOf`, or when it gave no price. */
  costPerHour: number | null;
}

/** The orphans of a run: the Novita-only instances it owns (`owned: true`), and what they cost. */
export interface OrphanSummary {
  /**
   * Owned instances that no record names, not being deleted and not adopted this run. Counted with
   * `novitaOnly: 'ignore'` too (they are then neither listed nor priced).
   */
  count: number;
  /**
   * The sum of their `costPerHour` (USD per hour), over those with a price; `0` when there are none;
   * `null` when there are some and none has a price (no `priceOf`, or it gave none).
   */
  costPerHour: number | null;
  /** Orphans without a price, so not in `costPerHour` (all of them without `priceOf`). */
  unpriced: number;
}

/**
 * Why a call to end an orphan was not sent (`InstanceAction.skipped`):
 * - `undecodable`: the run (or its second read of the store) read a value it could not decode, which might be the record naming the instance;
 * - `recorded`: the second read of the store, after the listing and before the first call, found a record naming it;
 * - `fraction`: more orphans to end than `maxObsoleteFraction` of the instances in scope (none is ended; `forceSync` does not lift it);
 * - `cap`, `window`, `hold`: the per-run cap, the window budget, the hold;
 * - `gone`, `already-stopped`, `not-exited`: `getInstance` right before the call found it gone or being deleted, already
 *   exited or stopping (never stopped again), or (a delete) no longer exited;
 * - `recheck-failed`: that `getInstance` failed; `audit-failed`: the intent entry could not be kept (nothing is sent unaudited);
 * - `store-unavailable`: the second read of the store failed.
 */
export type InstanceActionSkip =
  | 'undecodable'
  | 'recorded'
  | 'fraction'
  | 'cap'
  | 'window'
  | 'hold'
  | 'gone'
  | 'already-stopped'
  | 'not-exited'
  | 'recheck-failed'
  | 'audit-failed'
  | 'store-unavailable';

/**
 * A call to Novita to end an orphan (`policy.novitaOnly: 'stop' | 'delete'`): not a record write. Each is
 * also emitted as an `instance-action` event.
 */
export interface InstanceAction {
  /** `stop`, or `delete` (only of an orphan this library stopped at least `orphanGraceMinutes` earlier, still exited). */
  kind: 'stop' | 'delete';
  /** The instance. */
  novitaInstanceId: string;
  /** Its name at Novita, or `null`. */
  name: string | null;
  /** Whole minutes since Novita created it. */
  ageMinutes: number;
  /**
   * `planned` (a dry run: the call a real run would send), `applied` (Novita accepted it), `failed`
   * (Novita refused it or did not answer: reported, not retried within the run), `skipped` (not sent; see `skipped`).
   */
  outcome: 'planned' | 'applied' | 'failed' | 'skipped';
  /** Why it was not sent, for `skipped`. */
  skipped?: InstanceActionSkip;
  /** For a person: why the call (or why not), or the error of a failed one. */
  reason: string;
}

/** A record whose Novita status has been transitional for longer than `policy.stuckAfterMinutes`. Report only. */
export interface StuckRecord {
  /** The record's id. */
  recordId: string;
  /** The instance the record names. */
  novitaInstanceId: string;
  /** Novita's status, for example `pulling`: one the status map sends to `creating`, `starting`, `stopping` or `migrating`. */
  status: string;
  /** When the record's `timestamps.novitaStatusSince` says this status was first seen, ISO 8601. */
  since: string;
  /** Whole minutes since then, at the time the run planned. */
  sinceMinutes: number;
}

/**
 * The run options: one shape from the HTTP handler (`SyncRequestInput`) and `sync()` (`SyncOptions`,
 * each optional) to the run, whose report carries them resolved (`options`). Runs with equal run
 * options share one run (single flight).
 */
export interface SyncRunOptions {
  /** Decide everything, write nothing, report the actions a real run would take. @default false */
  dryRun: boolean;
  /** `false` still refreshes statuses but leaves obsolete records (and retention) alone. @default true */
  handleObsoleteInstances: boolean;
  /**
   * Proceed although the safety limit tripped; overrides nothing else (whether a run had to is
   * `safety.overridden`). @default false
   */
  forceSync: boolean;
}

/**
 * The result of one sync run. Every record present before the run lands in exactly one of
 * `updated`, `markedTerminated`, `removed`, `unchanged`, `conflicts`, `unverified`, `notApplied`,
 * `unknown` and the `skipped` reasons; these add up to `beforeSync`.
 */
export interface SyncReport {
  /** A random UUID naming this run: the same `runId` is on its events, its log lines and (Redis store) its audit entries. */
  runId: string;
  /** Records before the run (valid or not). */
  beforeSync: number;
  /** Records after the run (or that a dry run would leave). */
  afterSync: number;
  /**
   * Records refreshed from Novita (including terminated records revived because their instance is
   * alive), and terminated records stamped with `timestamps.terminated`. A record stamped with
   * `timestamps.firstSeen` counts under `skipped.grace` instead.
   */
  updated: number;
  /** Records marked terminated. */
  markedTerminated: number;
  /** Records removed (obsolete, never started, or past retention). */
  removed: number;
  /** Records that needed no write. */
  unchanged: number;
  /**
   * Records whose write met a concurrent change (the record changed, or was deleted before an update
   * could land); nothing written, left for the next run.
   */
  conflicts: number;
  /**
   * Obsolete or retention candidates left for the next run because Novita never proved them gone: the
   * confirmation failed or was never made (circuit breaker, budget). In a resolved run this is
   * `confirmations.failed + confirmations.notAttempted`.
   */
  unverified: number;
  /** Records whose write was planned but not attempted because the run stopped (only in `error.report`). */
  notApplied: number;
  /**
   * Records whose write was sent but whose answer never came (the store missed its deadline, or the run
   * was aborted or lost its lease while waiting): it may or may not have landed. Only in `error.report`,
   * except for writes a store answered no result for (a store breaking the `writeBatch` contract).
   */
  unknown: number;
  /** Records left alone, per reason. */
  skipped: SkippedCounts;
  /** Obsolete candidates found (before the safety limit and confirmation). */
  obsoleteCandidates: number;
  /** What the confirmations with `getInstance` did, and whether they stopped early. */
  confirmations: ConfirmationReport;
  /**
   * The listing this run used: proven complete, or unproven (no `total`, still shifting after the last
   * walk, or an empty listing read from a 400 `RESOURCE_NOT_FOUND`), in which case absence from it was
   * acted on only with a proof per record.
   */
  listing: ListingReport;
  /** Walks over Novita's listing pages this run took: the same as `listing.walks` (kept as an alias). */
  listingWalks: number;
  /** Instances in the Novita listing. */
  novitaInstances: number;
  /** Records before the run (= `beforeSync`; kept under this name too because the seed system's sync response had it). */
  localInstances: number;
  /** Records matched to an instance of the listing. */
  mergedInstances: number;
  /** Records after the run plus the owned Novita-only instances not adopted. */
  totalInstances: number;
  /** `beforeSync - afterSync + adopted`: records that left the store. */
  instancesRemoved: number;
  /** Records created for Novita-only instances. */
  adopted: number;
  /**
   * Novita instances without a record (not being deleted) and not adopted: with `novitaOnly: 'report'`,
   * and with `'adopt'` those too young or in an unmapped status to adopt. Those in `scope.instance`
   * (every one without a scope) are `owned: true`, the orphans; those outside it are listed with
   * `owned: false` (they may be another environment's) and never acted on. Always empty with
   * `novitaOnly: 'ignore'` (the owned ones still count in `totalInstances` and `orphans.count`).
   */
  novitaOnly: NovitaOnlyInstance[];
  /** The owned Novita-only instances (orphans): how many, and what they cost per hour. */
  orphans: OrphanSummary;
  /**
   * Records whose Novita status has been transitional (see `policy.stuckAfterMinutes`) for longer than
   * `stuckAfterMinutes`, each also emitted as an `instance-stuck` event. Report only: nothing is done.
   */
  stuck: StuckRecord[];
  /**
   * The calls to end orphans (`policy.novitaOnly: 'stop' | 'delete'`), oldest orphan first: sent, failed,
   * planned by a dry run, or held back (with the reason). Not record writes. Empty in every other mode.
   */
  instanceActions: InstanceAction[];
  /** Whether the safety limit tripped this run, on what counts, and whether `forceSync` overrode it. */
  safety: SafetyReport;
  /** The limits on destructive actions (the per-run cap, the window budget, the hold) and what each held back. */
  limits: LimitsReport;
  /** What the application's `livenessCheck` answered, and the records it kept. */
  liveness: LivenessReport;
  /** Run time in milliseconds, from the moment the run began (before its lock was taken) to its report. */
  duration: number;
  /** When the run began (before its lock was taken), ISO 8601, by the reconciler's `clock`. */
  timestamp: string;
  /**
   * Whether this was a dry run (= `options.dryRun`): nothing was written, every action's outcome is
   * `planned`, and the counts and `afterSync` say what a real run would have done.
   */
  dryRun: boolean;
  /** The options the run was called with, defaults filled in. */
  options: SyncRunOptions;
  /** Every action, in the order it was planned, with its outcome. */
  actions: SyncAction[];
}
