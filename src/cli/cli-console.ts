/**
 * Where the command writes, scrubbed: every line goes through `scrubSecrets` (the API key and the Redis
 * password never reach the output), and the progress line is cleared before anything else is written.
 */
import { scrubSecrets } from '../novita/redact.js';
import { createProgressLine, type ProgressLine, type ProgressStream } from './cli-progress.js';

/** A stream the command writes to: `process.stdout`, or anything with `write(text)`. */
export interface CliOutput extends ProgressStream {
  write(text: string): unknown;
}

/** Where the command writes. */
export interface CliIo {
  /** Summaries, the report or view as JSON, `--help`, `--version`, the fake's URL and key. */
  stdout: CliOutput;
  /**
   * Errors, warnings, why the exit code is not 0, and (only when its `isTTY` is `true`) the progress
   * line of a run.
   */
  stderr: CliOutput;
}

/** @internal The command's writers. */
export interface CliConsole {
  /** One line on stdout. */
  out(text: string): void;
  /** One line on stderr, prefixed `novita-reconcile: `. */
  fail(text: string): void;
  /** Text on stdout as it is (help), still scrubbed. */
  raw(text: string): void;
  progress: ProgressLine;
}

/** @internal */
export function createCliConsole(io: CliIo, secrets: readonly string[]): CliConsole {
  const progress = createProgressLine(io.stderr);
  const write = (stream: CliOutput, text: string): void => {
    progress.clear();
    stream.write(scrubSecrets(text, secrets));
  };
  return {
    out: (text) => write(io.stdout, `${text}\n`),
    fail: (text) => write(io.stderr, `novita-reconcile: ${text}\n`),
    raw: (text) => write(io.stdout, text),
    progress,
  };
}
