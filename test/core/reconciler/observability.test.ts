/** What a run tells: log lines and events, never with credentials; a broken logger or handler never breaks a run. */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type ReconcilerEvent } from '../../../src/index.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { fleetOf, instance, NOW, record } from '../../support/reconcile-fixtures.js';

describe('logging and events', () => {
  const SECRET = 'hf_secret_value_never_log';
  const setup = () => {
    const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const logger = Object.fromEntries(
      (['debug', 'info', 'warn', 'error'] as const).map((level) => [
        level,
        (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message }),
      ]),
    );
    const events: ReconcilerEvent[] = [];
    const novita = createScriptedNovitaClient({
      instances: [
        instance('nv-a', 'exited', {
          envs: [{ key: 'HF_TOKEN', value: SECRET }],
          sshPassword: SECRET,
          connectComponentSSH: { password: SECRET },
        }),
        instance('nv-orphan', 'running', { envs: [{ key: 'HF_TOKEN', value: SECRET }] }),
      ],
    });
    const reconciler = createReconciler({
      store: createMemoryStore({ records: [record('a'), record('gone', { status: 'stopped' })] }),
      novitaClient: novita,
      logger,
      onEvent: (event) => events.push(event),
      clock: () => NOW,
    });
    return { lines, events, reconciler };
  };

  it('logs one summary line per run and one line per obsolete action, without credentials', async () => {
    const { lines, reconciler } = setup();
    await reconciler.sync();
    const summary = lines.filter((line) => line.message === 'Instance sync completed');
    expect(summary).toHaveLength(1);
    expect(summary[0]?.fields).toMatchObject({ beforeSync: 2, updated: 1, markedTerminated: 1, novitaOnly: 1 });
    const obsolete = lines.filter((line) => line.message.startsWith('Obsolete instance'));
    expect(obsolete).toEqual([
      expect.objectContaining({
        level: 'info',
        fields: expect.objectContaining({
          recordId: 'gone',
          novitaInstanceId: 'nv-gone',
          lastStatus: 'stopped',
          reason: 'instance-not-found',
        }),
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('emits run-started, each action and run-finished, never with credentials', async () => {
    const { events, reconciler } = setup();
    const report = await reconciler.sync();
    expect(events.map((event) => event.type).filter((type) => type !== 'progress')).toEqual([
      'run-started',
      'action',
      'action',
      'run-finished',
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', report: { runId: report.runId } });
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('a view of the instances never carries credentials', async () => {
    const { reconciler } = setup();
    const view = await reconciler.listInstances();
    expect(JSON.stringify(view)).not.toContain(SECRET);
  });

  it('a throwing onEvent handler or logger does not break the run', async () => {
    const reconciler = createReconciler({
      store: createMemoryStore({ records: [record('a')] }),
      novitaClient: createScriptedNovitaClient(),
      onEvent: () => {
        throw new Error('handler bug');
      },
      logger: {
        info: () => {
          throw new Error('logger bug');
        },
      },
    });
    await expect(reconciler.sync()).resolves.toMatchObject({ markedTerminated: 1 });
  });

  it('a safety trip logs at error level and emits safety-tripped', async () => {
    const lines: string[] = [];
    const events: string[] = [];
    const reconciler = createReconciler({
      store: createMemoryStore({ records: fleetOf(12) }),
      novitaClient: createScriptedNovitaClient(),
      logger: { error: (_fields, message) => lines.push(message) },
      onEvent: (event) => events.push(event.type),
    });
    const report = await reconciler.sync();
    expect(report.safety).toMatchObject({ tripped: true, candidates: 12, eligible: 12 });
    expect(lines.some((line) => /safety limit tripped/i.test(line))).toBe(true);
    expect(events).toContain('safety-tripped');
  });
});

describe('an async onEvent handler', () => {
  it('that rejects is logged and ignored, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const warnings: string[] = [];
    try {
      const reconciler = createReconciler({
        store: createMemoryStore({ records: [record('a')] }),
        novitaClient: createScriptedNovitaClient({ instances: [instance('nv-a', 'running')] }),
        onEvent: async () => {
          throw new Error('metrics backend down');
        },
        logger: { warn: (_fields, message) => warnings.push(message) },
      });
      await expect(reconciler.sync()).resolves.toMatchObject({ unchanged: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(warnings).toContain('onEvent handler rejected; ignored');
  });
});
