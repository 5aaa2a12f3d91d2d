/** Progress events (issue 11.3): a long run says how far it got, phase by phase, without flooding `onEvent`. */
import { describe, expect, it } from 'vitest';
import { createMemoryStore, createReconciler, type ProgressEvent, type ReconcilerEvent } from '../../../src/index.js';
import { createProgress } from '../../../src/core/run/progress.js';
import { createScriptedNovitaClient } from '../../../src/testing/scripted-novita-client.js';
import { instance, record } from '../../support/reconcile-fixtures.js';

describe('progress events', () => {
  it('a run reports records read, confirmations done of total and writes applied of total, each phase ending with its final figures', async () => {
    const records = Array.from({ length: 1200 }, (_, i) => record(`r${i}`));
    const listed = records.slice(0, 1100).map((item) => instance(item.novitaInstanceId as string, 'exited'));
    const events: ReconcilerEvent[] = [];
    await createReconciler({
      store: createMemoryStore({ records }),
      novitaClient: createScriptedNovitaClient({ instances: listed }),
      policy: { safetyMinRecords: 100_000 },
      onEvent: (event) => events.push(event),
    }).sync();
    const progress = events.filter((event): event is ProgressEvent => event.type === 'progress');
    const last = (phase: ProgressEvent['phase']) => progress.filter((event) => event.phase === phase).at(-1);
    expect(last('reading')).toMatchObject({ done: 1200 });
    expect(last('confirming')).toMatchObject({ done: 100, total: 100 });
    expect(last('writing')).toMatchObject({ done: 1200, total: 1200 });
    // Throttled: far fewer events than units of work.
    expect(progress.length).toBeLessThan(20);
    expect(events.findIndex((event) => event.type === 'run-finished')).toBeGreaterThan(
      events.lastIndexOf(last('writing') as ReconcilerEvent),
    );
  });

  it('emits at most one event per phase per interval, and always the last figures', () => {
    let time = 0;
    const sent: ProgressEvent[] = [];
    const progress = createProgress(
      'run',
      (event) => sent.push(event as ProgressEvent),
      () => time,
    );
    for (let done = 1; done <= 50; done += 1) {
      progress.update('writing', done, 50);
      time += 10;
    }
    progress.end('writing');
    expect(sent.map((event) => event.done)).toEqual([1, 11, 21, 31, 41, 50]);
    progress.end('confirming');
    expect(sent).toHaveLength(6);
  });
});
