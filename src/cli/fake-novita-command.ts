/**
 * `novita-reconcile fake-novita`: the package's fake Novita (src/testing/fake-novita) as a server of its
 * own, seeded with a plausible fleet, so that an app, a script or this command can be pointed at it.
 * Loaded only when asked for: a production run never loads the fake.
 */
import type { FakeNovitaFlags } from './cli-args.js';
import type { CliConsole } from './cli-console.js';
import { EXIT_CODES } from './exit-codes.js';

/** How often the standalone fake forgets its request log: tests read it, a long-running server would only grow it. */
const REQUEST_LOG_RESET_MS = 60_000;

/** @internal Serves the fake until `signal` fires; resolves the exit code. */
export async function runFakeNovitaCommand(flags: FakeNovitaFlags, signal: AbortSignal | undefined, cli: CliConsole): Promise<number> {
  const { demoFleet, startFakeNovita } = await import('../testing/fake-novita/index.js');
  let fake: Awaited<ReturnType<typeof startFakeNovita>>;
  try {
    fake = await startFakeNovita({
      port: flags.port,
      host: flags.host,
      instances: demoFleet(flags.instances),
      ...(flags.apiKey !== undefined ? { apiKey: flags.apiKey } : {}),
    });
  } catch (error) {
    cli.fail(`fake Novita could not listen on ${flags.host}:${flags.port}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_CODES.RUN_FAILED;
  }
  if (flags.latencyMs > 0) fake.fault({ kind: 'latency', ms: flags.latencyMs, times: Infinity });
  const forget = setInterval(() => fake.clearRequests(), REQUEST_LOG_RESET_MS);
  forget.unref();
  // The fake's key is no secret: printed as it is, in the form a shell or a .env file reads.
  cli.out(`NOVITA_API_BASE_URL=${fake.url}`);
  cli.out(`NOVITA_API_KEY=${fake.apiKey}`);
  cli.fail(
    `fake Novita serving ${flags.instances} instances at ${fake.url}${flags.latencyMs > 0 ? `, ${flags.latencyMs} ms per answer` : ''}; stop it with Ctrl-C (SIGINT) or SIGTERM`,
  );
  try {
    // The listening server keeps the process alive until it closes.
    await new Promise<void>((resolve) => {
      if (signal?.aborted) resolve();
      else signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    clearInterval(forget);
    await fake.close();
  }
  return EXIT_CODES.OK;
}
