/**
 * Counts the commands in a client's byte stream to Redis (RESP: each command is an array of bulk
 * strings, `*<n>\r\n` then n times `$<len>\r\n<bytes>\r\n`), chunk by chunk, without buffering: bulk
 * payloads are skipped by their length, so the cost is per command, not per byte.
 *
 * ioredis sends every command this way. A stream that is not RESP (an inline command typed into a
 * telnet session) stops the count: `commands` is then `undefined` rather than wrong.
 */
export interface RespCommandCounter {
  /** Feeds the next chunk the client sent. */
  push(chunk: Buffer): void;
  /** Commands completed so far, or `undefined` once the stream was not RESP. */
  readonly commands: number | undefined;
}

const STAR = 0x2a;
const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;

type State = 'array-header' | 'bulk-header' | 'bulk-data';

/** Creates a counter for one connection's client-to-server stream. */
export function createRespCommandCounter(): RespCommandCounter {
  let state: State = 'array-header';
  /** Inside a header: whether its type byte was read, the digits so far, whether `\r` was read. */
  let headerStarted = false;
  let headerNumber = 0;
  let headerNegative = false;
  let sawCr = false;
  /** Bulk strings still due in the current command, and bytes still to skip in the current one. */
  let elementsLeft = 0;
  let skip = 0;
  let commands: number | undefined = 0;

  const finishElement = (): void => {
    elementsLeft -= 1;
    if (elementsLeft === 0) {
      if (commands !== undefined) commands += 1;
      state = 'array-header';
    } else {
      state = 'bulk-header';
    }
  };

  return {
    get commands() {
      return commands;
    },
    push(chunk) {
      let i = 0;
      while (i < chunk.length && commands !== undefined) {
        if (state === 'bulk-data') {
          const take = Math.min(skip, chunk.length - i);
          skip -= take;
          i += take;
          if (skip === 0) finishElement();
          continue;
        }
        const byte = chunk[i] as number;
        i += 1;
        if (!headerStarted) {
          if (byte !== (state === 'array-header' ? STAR : DOLLAR)) {
            commands = undefined;
            return;
          }
          headerStarted = true;
          headerNumber = 0;
          headerNegative = false;
          sawCr = false;
          continue;
        }
        if (sawCr) {
          if (byte !== LF) {
            commands = undefined;
            return;
          }
          headerStarted = false;
          const value = headerNegative ? -headerNumber : headerNumber;
          if (state === 'array-header') {
            if (value <= 0) {
              commands += 1;
            } else {
              elementsLeft = value;
              state = 'bulk-header';
            }
          } else if (value < 0) {
            finishElement();
          } else {
            skip = value + 2;
            state = 'bulk-data';
          }
          continue;
        }
        if (byte === CR) sawCr = true;
        else if (byte === 0x2d && headerNumber === 0 && !headerNegative) headerNegative = true;
        else if (byte >= 0x30 && byte <= 0x39) headerNumber = headerNumber * 10 + (byte - 0x30);
        else {
          commands = undefined;
          return;
        }
      }
    },
  };
}
