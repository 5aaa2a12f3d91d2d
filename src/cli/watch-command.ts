/**
 * `novita-reconcile watch`: the reconciler's own schedule (`start({ runImmediately: true })`) until the
 * signal fires, then `stop()`, which lets a run in flight finish. The schedule's timer is `unref`'d so
 * that it never keeps an application alive; a worker whose only job is the schedule must keep itself
 * alive, which this command does with a timer of its own until it stops.
 */
import type { ReconcilerEvent } from '../core/events.js';
import type { Reconciler } from '../core/reconciler.js';
import type { WatchFlags } from './cli-args.js';
import type { CliConsole } from './cli-console.js';
import { summariseReport } from './cli-summary.js';
import { EXIT_CODES } from './exit-codes.js';
import { describePartial, explainSafetyTrip, failureJson } from './run-command.js';

/** @internal Prints each scheduled run as it ends: a summary (or one JSON line), and what a failed run had applied. */
export function watchPrinter(flags: WatchFlags, cli: CliConsole): (event: ReconcilerEvent) => void {
  return (event) => {
    if (event.type === 'run-finished') {
      if (flags.json) cli.out(JSON.stringify(event.report));
      else for (const line of summariseReport(event.report)) cli.out(line);
      explainSafetyTrip(event.report, cli);
    } else if (event.type === 'run-failed') {
      // The schedule's own log line ("Scheduled sync failed ...") names the error on stderr.
      if (flags.json) cli.out(JSON.stringify(failureJson(event.error, event.report)));
      if (event.report) cli.fail(describePartial(event.report));
    }
  };
}

/** @internal Runs the schedule until `signal` fires; resolves the exit code. */
export async function runWatchCommand(reconciler: Reconciler, signal: AbortSignal | undefined, cli: CliConsole): Promise<number> {
  if (!reconciler.start({ runImmediately: true })) {
    cli.fail(
      'configuration error: enableAutomaticSync is false (SYNC_ENABLE_AUTOMATIC_SYNC, or the --config policy): watch has nothing to schedule.',
    );
    return EXIT_CODES.USAGE;
  }
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  try {
    await new Promise<void>((resolve) => {
      if (signal?.aborted) resolve();
      else signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await reconciler.stop();
    clearInterval(keepAlive);
  }
  return EXIT_CODES.OK;
}
