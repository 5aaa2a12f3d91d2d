/**
 * novita-reconciler: keeps a backend's records of its Novita.ai GPU instances true to Novita.
 *
 * This entry point is the core: the reconciler, the policy, the memory store, the interfaces every
 * adapter implements, and the errors. It never imports ioredis. The HTTP helpers are
 * `novita-reconciler/http` (re-exported here, deprecated, until the next major version); the CLI's
 * config types are `novita-reconciler/cli`.
 */
export { createReconciler } from './core/reconciler.js';
export type { Reconciler, ReconcilerOptions, SyncOptions, ListInstancesOptions, ListInstancesResult } from './core/reconciler.js';
export type { StartOptions, StopOptions } from './core/runtime/scheduler.js';
export { planSync, defaultAdoptRecord } from './core/plan/planner.js';
export type {
  PlanInput,
  Plan,
  PlannedAction,
  RecordDecision,
  PlannedCategory,
  SkipReason,
  Confirmation,
  SyncScope,
} from './core/plan/planner.js';
export { resolvePolicy, policyFromEnv, syncPolicySchema, DEFAULT_POLICY, POLICY_ENV_VARIABLES } from './core/config/sync-policy.js';
export type { SyncPolicy, SyncPolicyInput, StatusMapEntry, NovitaOnlyPolicy, DestructiveBudget } from './core/config/sync-policy.js';
export type { RunOptionsInput } from './core/config/run-options.js';
export { DEFAULT_STATUS_MAP, buildStatusMap, mapStatus, transitionalStatuses } from './core/plan/status-map.js';
export type { StatusRule, StatusVerdict } from './core/plan/status-map.js';
export type {
  SyncReport,
  SyncAction,
  ActionKind,
  ActionReason,
  ActionOutcome,
  SkippedCounts,
  ListingReport,
  SafetyReport,
  NovitaOnlyInstance,
  OrphanSummary,
  StuckRecord,
  InstanceAction,
  InstanceActionSkip,
  SyncRunOptions,
  ConfirmationReport,
  LimitsReport,
  LivenessReport,
  LivenessKept,
  HeldBackRecord,
  DestructiveLimit,
  DestructiveHold,
} from './report.js';
export { setHold, releaseHold, readHold } from './core/hold-switch.js';
export type { SetHoldOptions, ReleaseHoldOptions } from './core/hold-switch.js';
export type {
  ReconcilerEvent,
  ReconcilerLogger,
  LogMethod,
  RunStartedEvent,
  ActionEvent,
  SafetyTrippedEvent,
  InstanceStuckEvent,
  InstanceActionEvent,
  DestructiveLimitReachedEvent,
  RunFinishedEvent,
  RunFailedEvent,
  ProgressEvent,
  ProgressPhase,
  ListingRestartedEvent,
  ListingUnprovenEvent,
  RunSkippedEvent,
} from './core/events.js';
// The HTTP helpers live in novita-reconciler/http; these root re-exports stay for this minor version.
import * as http from './http/index.js';
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export const createSyncHandler = http.createSyncHandler;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export const createListHandler = http.createListHandler;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export const toNodeHandler = http.toNodeHandler;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export const toFetchHandler = http.toFetchHandler;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export const httpStatusOf = http.httpStatusOf;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export const requestParts = http.requestParts;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type NodeHandler = http.NodeHandler;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type NodeRequestLike = http.NodeRequestLike;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type NodeResponseLike = http.NodeResponseLike;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type FetchHandler = http.FetchHandler;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HttpAdapterOptions = http.HttpAdapterOptions;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type AdaptableHandler<T> = http.AdaptableHandler<T>;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HttpStatus = http.HttpStatus;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HttpErrorStatus = http.HttpErrorStatus;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type SyncHandler = http.SyncHandler;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type SyncHandlerOptions = http.SyncHandlerOptions;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type SyncRequestInput = http.SyncRequestInput;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type ListHandler = http.ListHandler;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type ListHandlerOptions = http.ListHandlerOptions;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type ListRequestInput = http.ListRequestInput;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HttpResult<T> = http.HttpResult<T>;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HttpSuccessBody<T> = http.HttpSuccessBody<T>;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HttpFailureBody = http.HttpFailureBody;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HttpErrorCode = http.HttpErrorCode;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HttpErrorDetails = http.HttpErrorDetails;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HttpValidationIssue = http.HttpValidationIssue;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type HandlerCallOptions = http.HandlerCallOptions;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type RequestParts = http.RequestParts;
/** @deprecated Import it from `novita-reconciler/http`; the root entry point re-exports it until the next major version. */
export type RequestPartsInput = http.RequestPartsInput;
export { toPublicInstance, mergeInstanceView } from './core/instance-view.js';
export type { PublicInstance, InstanceView, InstanceViewRow } from './core/instance-view.js';
export { decodeRecord, assertRecord } from './core/record.js';
export type { InstanceRecord, RecordTimestamps, DecodeResult, TerminationProof } from './core/record.js';
export type {
  InstanceStore,
  ReconcilerStore,
  WriteBatchProgress,
  StoreEntry,
  VersionedRecord,
  InvalidStoredRecord,
  ConditionalWrite,
  ConditionalPut,
  ConditionalDelete,
  WriteOutcome,
  WriteResult,
  WriteFence,
  ReadBatchesOptions,
  WriteBatchOptions,
  DestructiveGuardStore,
  DestructiveReservationRequest,
  DestructiveReservation,
  DestructiveRelease,
  DestructiveGuardCallOptions,
  InstanceActionStore,
  InstanceActionEntry,
} from './core/ports/store.js';
export { writeBatchProgress, DESTRUCTIVE_GUARD_METHODS, INSTANCE_ACTION_METHODS } from './core/ports/store.js';
export { GONE_STATUSES } from './core/ports/novita-client.js';
export type {
  NovitaClient,
  NovitaInstance,
  NovitaListing,
  NovitaCallOptions,
  ListInstancesCallOptions,
  ListingRestart,
  ListingProgress,
} from './core/ports/novita-client.js';
export type { SyncLock, LockLease } from './core/ports/lock.js';
export { checkPolicy, doctorReport } from './core/doctor/doctor.js';
export type { DoctorCheck, DoctorReport, DoctorStatus, PolicyCheckContext } from './core/doctor/doctor.js';
export { createMemoryStore } from './store/memory-store.js';
export type { MemoryStore, MemoryStoreOptions } from './store/memory-store.js';
export {
  ReconcilerError,
  ConfigError,
  RecordInvalidError,
  NovitaApiError,
  NovitaAuthError,
  NovitaIncompleteListingError,
  NovitaInvalidResponseError,
  StoreUnavailableError,
  SyncInProgressError,
  LockLostError,
  AbortedError,
  isReconcilerError,
} from './errors.js';
export type { ErrorCode, ReconcilerErrorOptions, NovitaApiErrorOptions, IncompleteListingOptions } from './errors.js';
