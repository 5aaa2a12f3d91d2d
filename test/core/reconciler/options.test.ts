/** Options validated up front; errors that carry what a person and a program need; throwing callbacks. */
import { describe, expect, it, vi } from 'vitest';
import { createMemoryStore, createReconciler, isReconcilerError, NovitaApiError, ReconcilerError } from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { countingStore, instance, record, rejection } from '../../support/reconcile-fixtures.js';

describe('options are validated up front', () => {
  const store = createMemoryStore();
  const novitaClient = createScriptedNovitaClient();
  const bad: [string, () => unknown, string][] = [
    ['no store', () => createReconciler({ novitaClient } as never), 'store'],
    [
      'a store without writeBatch',
      () => createReconciler({ store: { ...store, writeBatch: undefined } as never, novitaClient }),
      'store.writeBatch',
    ],
    ['no client', () => createReconciler({ store } as never), 'novitaClient'],
    [
      'a bad policy field',
      () => createReconciler({ store, novitaClient, policy: { obsoleteRetentionDays: -3 } }),
      'policy.obsoleteRetentionDays',
    ],
    ['a logger that is not an object', () => createReconciler({ store, novitaClient, logger: 'pino' as never }), 'logger'],
    [
      'a logger method that is not a function',
      () => createReconciler({ store, novitaClient, logger: { info: 1 } as never }),
      'logger.info',
    ],
    ['a lock without acquire', () => createReconciler({ store, novitaClient, lock: {} as never }), 'lock.acquire'],
    ['a zero confirmConcurrency', () => createReconciler({ store, novitaClient, confirmConcurrency: 0 }), 'confirmConcurrency'],
    ['a misspelt option (loger)', () => createReconciler({ store, novitaClient, loger: {} } as never), 'loger'],
    [
      'a misspelt scope predicate',
      () => createReconciler({ store, novitaClient, scope: { records: () => true } } as never),
      'scope.records',
    ],
    ['a zero storeTimeoutMs', () => createReconciler({ store, novitaClient, storeTimeoutMs: 0 }), 'storeTimeoutMs'],
    ['a zero confirmBudgetMs', () => createReconciler({ store, novitaClient, confirmBudgetMs: 0 }), 'confirmBudgetMs'],
    [
      'a store without writeBatch',
      () => createReconciler({ store: { readBatches: store.readBatches }, novitaClient } as never),
      'store.writeBatch',
    ],
    ['a misspelt start option', () => createReconciler({ store, novitaClient }).start({ runImmediatly: true } as never), 'runImmediatly'],
    ['a misspelt memory store option', () => createMemoryStore({ record: [] } as never), 'record'],
    [
      'a scope predicate that is not a function',
      () => createReconciler({ store, novitaClient, scope: { record: true } as never }),
      'scope.record',
    ],
    ['a non-boolean dryRun', () => createReconciler({ store, novitaClient }).sync({ dryRun: 'yes' as never }), 'dryRun'],
    ['an unknown sync option', () => createReconciler({ store, novitaClient }).sync({ force: true } as never), 'force'],
    ['a signal that is not an AbortSignal', () => createReconciler({ store, novitaClient }).sync({ signal: {} as never }), 'signal'],
  ];
  for (const [what, run, field] of bad) {
    it(`rejects ${what} with a ConfigError naming ${field}`, () => {
      let caught: unknown;
      try {
        run();
      } catch (error) {
        caught = error;
      }
      expect(isReconcilerError(caught, 'CONFIG_INVALID')).toBe(true);
      expect((caught as { field: string }).field).toBe(field);
    });
  }
});

describe('errors', () => {
  it('the guard recognises errors from another copy of the package, where instanceof fails', async () => {
    vi.resetModules();
    // A second module instance, as when both the ESM and the CJS build of the package are loaded.
    const specifier = '../../../src/errors.js?copy';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import('../../../src/errors.js');
    const foreign = new copy.SyncInProgressError();
    expect(foreign instanceof ReconcilerError).toBe(false);
    expect(isReconcilerError(foreign)).toBe(true);
    expect(isReconcilerError(foreign, 'SYNC_IN_PROGRESS')).toBe(true);
    expect(isReconcilerError(foreign, 'ABORTED')).toBe(false);
    expect(isReconcilerError(new Error('plain'))).toBe(false);
    expect(isReconcilerError({ code: 'ABORTED' })).toBe(false);
  });

  it('carries code, cause and an actionable message', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new NovitaApiError('Novita answered 503 on GET /gpu/instances', {
      status: 503,
      reason: 'UNKNOWN',
      retryable: true,
      cause,
    });
    expect(error).toMatchObject({ code: 'NOVITA_API', status: 503, reason: 'UNKNOWN', retryable: true, cause });
  });
});

describe('a throwing callback', () => {
  it('rejects INTERNAL_ERROR with the cause, never passed off as a store or Novita outage, and writes nothing', async () => {
    const store = countingStore(createMemoryStore({ records: [record('a')] }));
    const bug = new TypeError('scope predicate bug');
    const novita = createScriptedNovitaClient({ instances: [instance('nv-a', 'exited')] });
    const error = await rejection(
      createReconciler({
        store,
        novitaClient: novita,
        scope: {
          record: () => {
            throw bug;
          },
        },
      }).sync(),
    );
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.cause).toBe(bug);
    expect(store.writes).toBe(0);
  });
});
