/**
 * `novita-reconciler/testing`: what users need to test their own integration: the store contract
 * suite (run it against a store of your own) and the fake Novita server.
 */
export { defineStoreContract } from './store-contract.js';
export type { ContractTestApi, StoreContractHarness, StoreContractOptions } from './store-contract-types.js';
export { createScriptedNovitaClient, scriptedNovitaOutage } from './scripted-novita-client.js';
export type { ScriptedNovitaClient, ScriptedNovitaClientOptions, ScriptedCall } from './scripted-novita-client.js';
export * from './fake-novita/index.js';
