/**
 * `novita-reconciler/novita`: the built-in client for Novita's v1 GPU instance API.
 *
 * @packageDocumentation
 */
export { createNovitaClient } from './create-novita-client.js';
export type { NovitaApiClient } from './create-novita-client.js';
export { DEFAULT_NOVITA_BASE_URL } from './client-options.js';
export type { NovitaClientOptions, NovitaNotFoundResponses, NovitaRequestBudget, NovitaRetryOptions } from './client-options.js';
export type { NovitaListingOptions } from './listing-options.js';
export type {
  NovitaConnectJupyter,
  NovitaConnectLog,
  NovitaConnectSsh,
  NovitaConnectWebTerminal,
  NovitaEnv,
  NovitaInstanceDetail,
  NovitaInstanceListing,
  NovitaInstanceStatus,
  NovitaPortMapping,
  NovitaVolumeMount,
} from './instance-detail.js';
export type { NovitaCreatedInstance, NovitaCreateInstanceInput, NovitaLifecycleResult } from './lifecycle.js';
export type { NovitaLogger } from './logger.js';
export { parseV1Instance, parseV1ListPage } from './v1-schemas.js';
export { checkNovita, checkNovitaClient, DOCTOR_MISSING_ID, runDoctor } from './doctor.js';
export type { CapturedAnswer, DoctorOptions, DoctorResult, NovitaDoctorOptions, NovitaDoctorResult } from './doctor.js';
export type { V1ListPage, V1ParseOptions } from './v1-schemas.js';
export type {
  ListInstancesCallOptions,
  ListingProgress,
  ListingRestart,
  NovitaCallOptions,
  NovitaClient,
  NovitaInstance,
  NovitaListing,
} from '../core/ports/novita-client.js';
