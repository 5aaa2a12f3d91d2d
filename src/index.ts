/**
 * novita-reconciler: keeps a backend's records of its Novita.ai GPU instances true to Novita.
 *
 * This entry point is the core: the reconciler, the policy, the memory store, the interfaces every
 * adapter implements, and the errors. It never imports ioredis.
 */
export { createReconciler } from './core/reconciler.js';
export type { Reconciler, ReconcilerOptions, SyncOptions, ListInstancesOptions, ListInstancesResult } from './core/reconciler.js';
export type { StartOptions, StopOptions } from './core/scheduler.js';
export { planSync, defaultAdoptRecord } from './core/planner.js';
export type {
  PlanInput,
  Plan,
  PlannedAction,
  RecordDecision,
  PlannedCategory,
  SkipReason,
  Confirmation,
  SyncScope,
} from './core/planner.js';
export { resolvePolicy, policyFromEnv, syncPolicySchema, DEFAULT_POLICY, POLICY_ENV_VARIABLES } from './core/policy.js';
export type { SyncPolicy, SyncPolicyInput, StatusMapEntry, NovitaOnlyPolicy } from './core/policy.js';
export { DEFAULT_STATUS_MAP, buildStatusMap, mapStatus } from './core/status-map.js';
export type { StatusRule, StatusVerdict } from './core/status-map.js';
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
  SyncRunOptions,
} from './report.js';
export type {
  ReconcilerEvent,
  ReconcilerLogger,
  LogMethod,
  RunStartedEvent,
  ActionEvent,
  SafetyTrippedEvent,
  RunFinishedEvent,
  RunFailedEvent,
  ProgressEvent,
  ProgressPhase,
  ListingRestartedEvent,
  ListingUnprovenEvent,
  RunSkippedEvent,
} from './core/events.js';
export { createSyncHandler, createListHandler, toNodeHandler, toFetchHandler, httpStatusOf, requestParts } from './http/index.js';
export type {
  NodeHandler,
  NodeRequestLike,
  NodeResponseLike,
  FetchHandler,
  HttpAdapterOptions,
  AdaptableHandler,
  HttpStatus,
  HttpErrorStatus,
  SyncHandler,
  SyncHandlerOptions,
  SyncRequestInput,
  ListHandler,
  ListHandlerOptions,
  ListRequestInput,
  HttpResult,
  HttpSuccessBody,
  HttpFailureBody,
  HttpErrorCode,
  HttpErrorDetails,
  HttpValidationIssue,
  HandlerCallOptions,
  RequestParts,
  RequestPartsInput,
} from './http/index.js';
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
} from './core/store.js';
export { writeBatchProgress } from './core/store.js';
export { GONE_STATUSES } from './core/novita-client.js';
export type {
  NovitaClient,
  NovitaInstance,
  NovitaListing,
  NovitaCallOptions,
  ListInstancesCallOptions,
  ListingRestart,
  ListingProgress,
} from './core/novita-client.js';
export type { SyncLock, LockLease } from './core/lock.js';
export { checkPolicy, doctorReport } from './core/doctor.js';
export type { DoctorCheck, DoctorReport, DoctorStatus, PolicyCheckContext } from './core/doctor.js';
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
export type { CliConfig, CliConfigExport } from './cli/cli-config-module.js';
