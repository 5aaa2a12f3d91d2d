import { afterEach } from 'vitest';
import { createNovitaClient } from '../../src/novita/index.js';
import type { NovitaApiClient, NovitaClientOptions, NovitaLogger } from '../../src/novita/index.js';
import { startFakeNovita } from '../../src/testing/fake-novita/index.js';
import type { FakeNovita, FakeNovitaOptions } from '../../src/testing/fake-novita/index.js';

const started: FakeNovita[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((fake) => fake.close()));
});

/** Starts a fake Novita that is closed after the test. */
export async function fakeNovita(options: FakeNovitaOptions = {}): Promise<FakeNovita> {
  const fake = await startFakeNovita(options);
  started.push(fake);
  return fake;
}

/** A client for `fake` with fast retries, so fault tests stay quick. */
export function clientFor(fake: FakeNovita, options: NovitaClientOptions = {}): NovitaApiClient {
  return createNovitaClient({
    apiKey: fake.apiKey,
    baseUrl: fake.url,
    timeoutMs: 2_000,
    ...options,
    retry: { retries: 3, baseDelayMs: 5, maxDelayMs: 20, ...options.retry },
  });
}

/** A logger that keeps every line, for assertions. */
export function recordingLogger(): NovitaLogger & { lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> } {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn') };
}

/** The rejection of `promise`, or a failure when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** Sorted ids, for comparing listings with the fake's true fleet. */
export const idsOf = (instances: ReadonlyArray<{ id: string }>): string[] => instances.map((instance) => instance.id).sort();
