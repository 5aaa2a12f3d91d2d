/**
 * The progress line `novita-reconcile` keeps on stderr while a run works, when stderr is a terminal:
 * one line, rewritten in place (`\r`, erase line), cleared before anything else is printed. On a pipe or
 * a file it prints nothing: a log should not fill with carriage returns.
 */
import type { ProgressPhase, ReconcilerEvent } from '../core/events.js';
import { count } from './cli-summary.js';

/** The parts of a stream the progress line needs: `process.stderr` has them. */
export interface ProgressStream {
  write(text: string): unknown;
  /** Whether the stream is a terminal; progress is shown only then. */
  isTTY?: boolean;
  /** The terminal's width; the line is cut to fit. */
  columns?: number;
}

/** A progress line: fed the reconciler's events, cleared before other output. */
export interface ProgressLine {
  onEvent(event: ReconcilerEvent): void;
  /** Erases the line, if one is shown. */
  clear(): void;
}

const ERASE = '\r\u001b[2K';

const NOOP: ProgressLine = { onEvent: () => undefined, clear: () => undefined };

/** A progress line on `stream` when it is a terminal, else one that does nothing. @internal */
export function createProgressLine(stream: ProgressStream): ProgressLine {
  if (stream.isTTY !== true) return NOOP;
  const phases = new Map<ProgressPhase, { done: number; total: number | undefined }>();
  let walk = 1;
  let shown = false;

  const render = (): void => {
    const parts: string[] = [];
    const listing = phases.get('listing');
    if (listing)
      parts.push(
        `Novita page ${listing.done}${listing.total === undefined ? '' : ` of ${listing.total}`}${walk > 1 ? ` (walk ${walk})` : ''}`,
      );
    const reading = phases.get('reading');
    if (reading) parts.push(`${count(reading.done, 'record')} read`);
    const confirming = phases.get('confirming');
    if (confirming) parts.push(`confirmations ${confirming.done}${confirming.total === undefined ? '' : ` of ${confirming.total}`}`);
    const writing = phases.get('writing');
    if (writing) parts.push(`writes ${writing.done}${writing.total === undefined ? '' : ` of ${writing.total}`} applied`);
    let text = `novita-reconcile: ${parts.join(', ')}`;
    const width = typeof stream.columns === 'number' && stream.columns > 1 ? stream.columns - 1 : undefined;
    if (width !== undefined && text.length > width) text = text.slice(0, width);
    stream.write(`${ERASE}${text}`);
    shown = true;
  };

  const clear = (): void => {
    if (!shown) return;
    stream.write(ERASE);
    shown = false;
  };

  return {
    onEvent(event) {
      if (event.type === 'run-started') {
        phases.clear();
        walk = 1;
      } else if (event.type === 'progress') {
        phases.set(event.phase, { done: event.done, total: event.total });
        render();
      } else if (event.type === 'listing-restarted') {
        walk = event.walk + 1;
        phases.delete('listing');
      } else if (event.type === 'run-finished' || event.type === 'run-failed') {
        clear();
      }
    },
    clear,
  };
}
