#!/usr/bin/env node
/**
 * The `novita-reconcile` executable: hands the process's argv, environment and streams to `runCli`
 * and sets `process.exitCode` (never `process.exit`, so stdout is flushed). SIGINT or SIGTERM fires the
 * command's AbortSignal: a run is aborted (the lock is released, writes stop between batches), `watch`
 * stops its schedule after the run in flight, `fake-novita` closes. A second signal exits at once.
 */
import { runCli } from './main.js';

const controller = new AbortController();
let signalsReceived = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signalsReceived += 1;
  if (signalsReceived > 1) {
    process.stderr.write(`novita-reconcile: ${signal} again; exiting without waiting\n`);
    process.exit(130);
  }
  process.stderr.write(`novita-reconcile: ${signal} received; stopping (send it again to exit at once)\n`);
  controller.abort(new Error(`novita-reconcile received ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

void runCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr }, { signal: controller.signal }).then(
  (code) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.exitCode = code;
  },
);
