/**
 * A TCP proxy that delays every byte by a fixed time in each direction, as a network between the app
 * and Redis would, and counts what the client sent.
 *
 * Each direction of each connection is one FIFO delay line with a single timer for its head chunk:
 * bytes leave in the order they came, chunks that are due together leave in one corked write, and the
 * cost is one timer per burst, not per command. Node's timers have a resolution of about 1 ms, so a
 * delay of 1 ms comes out as 1 to 2 ms each way: the bench measures the real round trip through the
 * proxy (`PING`) and reports it beside the configured delay.
 *
 * Round trips are counted per connection as request bursts: a burst starts when the client sends
 * bytes after it has received something since its previous send (or on its first send). Commands a
 * client sends without waiting for an answer in between (a pipeline, or several calls made in the same
 * tick) are one round trip; a command sent after awaiting the previous answer is another. Commands are
 * counted exactly by parsing the client's RESP stream.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createRespCommandCounter, type RespCommandCounter } from './resp-command-counter.js';

/** Options of {@link startLatencyProxy}. */
export interface LatencyProxyOptions {
  /** Where to forward to. */
  target: { host: string; port: number };
  /** Delay added in each direction, in milliseconds. @default 1 */
  delayMs?: number;
  /** Port to listen on (loopback). @default a free port */
  port?: number;
}

/** What went through the proxy since the last {@link LatencyProxy.resetTraffic}. */
export interface ProxyTraffic {
  /** Connections opened. */
  connections: number;
  /** Request bursts: see the module comment. */
  roundTrips: number;
  /** Redis commands the clients sent, or `null` when a stream could not be parsed as RESP. */
  commands: number | null;
  bytesToServer: number;
  bytesToClient: number;
}

/** A running proxy. */
export interface LatencyProxy {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** The delay each way; may be changed while running (chunks already queued keep their time). */
  delayMs: number;
  traffic(): ProxyTraffic;
  resetTraffic(): void;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

interface Queued {
  due: number;
  chunk: Buffer;
}

/** Forwards one direction of a connection, each chunk `delay()` milliseconds after it arrived. */
function delayLine(destination: Socket, delay: () => number, onDelivered: (chunk: Buffer) => void): (chunk: Buffer) => void {
  let queue: Queued[] = [];
  let head = 0;
  let _timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    _timer = undefined;
    const now = performance.now();
    destination.cork();
    while (head < queue.length && (queue[head] as Queued).due <= now + 0.05) {
      const { chunk } = queue[head] as Queued;
      head += 1;
      if (!destination.destroyed) destination.write(chunk);
      onDelivered(chunk);
    }
    destination.uncork();
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else {
      _timer = setTimeout(flush, Math.max(0, (queue[head] as Queued).due - now));
    }
  };

  return (chunk) => {
    const ms = delay();
    if (ms <= 0 && head === queue.length) {
      if (!destination.destroyed) destination.write(chunk);
      onDelivered(chunk);
      return;
    }
    queue.push({ due: performance.now() + ms, chunk });
    _timer ??= setTimeout(flush, ms);
  };
}

/** Starts a proxy on 127.0.0.1. */
export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  let delayMs = options.delayMs ?? 1;
  const sockets = new Set<Socket>();
  const counters = new Set<RespCommandCounter>();
  let traffic = { connections: 0, roundTrips: 0, bytesToServer: 0, bytesToClient: 0 };
  /** Commands of connections counted before the last reset, subtracted from their counters. */
  let commandsBaseline = new Map<RespCommandCounter, number>();

  const server: Server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ host: options.target.host, port: options.target.port, noDelay: true });
    sockets.add(client).add(upstream);
    traffic.connections += 1;
    const counter = createRespCommandCounter();
    counters.add(counter);
    let answeredSinceLastSend = true;

    const toServer = delayLine(
      upstream,
      () => delayMs,
      () => {},
    );
    const toClient = delayLine(
      client,
      () => delayMs,
      (chunk) => {
        traffic.bytesToClient += chunk.length;
        answeredSinceLastSend = true;
      },
    );
    client.on('data', (chunk: Buffer) => {
      if (answeredSinceLastSend) {
        traffic.roundTrips += 1;
        answeredSinceLastSend = false;
      }
      traffic.bytesToServer += chunk.length;
      counter.push(chunk);
      toServer(chunk);
    });
    upstream.on('data', (chunk: Buffer) => toClient(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the latency proxy has no address');

  return {
    port: address.port,
    get delayMs() {
      return delayMs;
    },
    set delayMs(ms: number) {
      if (!(ms >= 0)) throw new RangeError(`delayMs must be a number of milliseconds >= 0, got ${ms}`);
      delayMs = ms;
    },
    traffic() {
      let commands: number | null = 0;
      for (const counter of counters) {
        if (counter.commands === undefined) commands = null;
        else if (commands !== null) commands += counter.commands - (commandsBaseline.get(counter) ?? 0);
      }
      return { ...traffic, commands };
    },
    resetTraffic() {
      traffic = { connections: 0, roundTrips: 0, bytesToServer: 0, bytesToClient: 0 };
      commandsBaseline = new Map([...counters].map((counter) => [counter, counter.commands ?? 0]));
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
