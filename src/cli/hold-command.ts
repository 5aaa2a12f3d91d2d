/**
 * `novita-reconcile hold` / `release`: the hold switch for people. The hold is a flag the store keeps
 * next to the records (the Redis store under its prefix); while it is set, every run on that store, on
 * every replica, holds back every destructive action and keeps refreshing statuses. Configured like the
 * other commands (REDIS_URL and REDIS_KEY_PREFIX, or a --config module's store); needs nothing of Novita.
 */
import { hostname, userInfo } from 'node:os';
import { releaseHold, setHold } from '../core/hold-switch.js';
import type { ReconcilerStore } from '../core/ports/store.js';
import type { DestructiveHold } from '../report.js';
import type { HoldFlags } from './cli-args.js';
import type { CliConsole } from './cli-console.js';
import { EXIT_CODES } from './exit-codes.js';

type Env = Readonly<Record<string, string | undefined>>;

/** `user@host`: `USER` (or `USERNAME`) from the environment, else the OS account; the host name. */
export function whoAmI(env: Env): string {
  let user = env.USER?.trim() || env.USERNAME?.trim() || '';
  if (user === '') {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `${user}@${hostname()}`;
}

/** @internal Sets or releases the hold on `store`, printed. */
export async function runHoldCommand(
  command: 'hold' | 'release',
  store: ReconcilerStore,
  flags: HoldFlags,
  env: Env,
  cli: CliConsole,
): Promise<number> {
  const by = flags.by ?? whoAmI(env);
  if (command === 'hold') {
    const hold = await setHold(store, { reason: flags.reason ?? '', by });
    if (flags.json) cli.out(JSON.stringify({ hold }, null, 2));
    else {
      cli.out(`Hold set by ${hold.by} at ${hold.at}${hold.reason ? `: ${hold.reason}` : ''}.`);
      cli.out('Every run on this store, on every replica, now holds back every destructive action (marking terminated,');
      cli.out('removing) and keeps refreshing statuses, until novita-reconcile release.');
    }
    return EXIT_CODES.OK;
  }
  const released: DestructiveHold | null = await releaseHold(store, { by });
  if (flags.json) cli.out(JSON.stringify({ released }, null, 2));
  else if (released === null) cli.out('No hold was set; nothing to release.');
  else
    cli.out(
      `Hold released (it was set by ${released.by || 'someone'} at ${released.at}${released.reason ? `: ${released.reason}` : ''}). Runs end records again, within the policy's limits.`,
    );
  return EXIT_CODES.OK;
}
