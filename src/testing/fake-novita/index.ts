/**
 * The fake Novita v1 API, for tests: `startFakeNovita()` starts a real HTTP server on loopback that
 * behaves like Novita (field types, pagination, error envelope, gradual lifecycle) and misbehaves on
 * request (scripted faults). Re-exported from `novita-reconciler/testing`.
 *
 * @packageDocumentation
 */
export { createFakeClock, startFakeNovita } from './start-fake-novita.js';
export type { FakeClock, FakeNovita, FakeNovitaInstance, FakeNovitaOptions, FakeRequest } from './start-fake-novita.js';
export type { FakeEndpoint, FakeFault, FakeFaultEffect, FakeFaultHandle, FakeFaultTarget, FakeFleetControl } from './fake-faults.js';
export type { FakeInstanceSeed } from './fake-instance.js';
export { demoFleet } from './fake-demo-fleet.js';
export type { DemoFleetOptions } from './fake-demo-fleet.js';
export { fakeNovitaVariants } from './fake-variants.js';
export type { FakeNovitaVariant } from './fake-variants.js';
