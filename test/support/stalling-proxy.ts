import { createServer, Socket, type Server } from 'node:net';

/**
 * A TCP proxy in front of Redis that can be told to stop answering: after `stall()`, bytes in either
 * direction are held back and the connection stays open, the way a hung server or a silent network
 * partition looks to a client (no error, no close, no reply). `resume()` delivers what was held, in
 * order, as TCP would once the path is back: a command sent while stalled may still apply later.
 */
export interface StallingProxy {
  /** `redis://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  /** From now on, nothing is forwarded in either direction; connections stay open. */
  stall(): void;
  /** Forwards again, first the bytes held back while stalled. */
  resume(): void;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port that forwards to `target` (`redis://host:port`). */
export async function startStallingProxy(target: string): Promise<StallingProxy> {
  const { hostname, port } = new URL(target);
  let stalled = false;
  const sockets = new Set<Socket>();
  const held: (() => void)[] = [];
  const forward = (to: Socket) => (chunk: Buffer) => {
    if (stalled) held.push(() => to.write(chunk));
    else to.write(chunk);
  };
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const forget = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    client.on('close', forget);
    upstream.on('close', forget);
    client.on('error', forget);
    upstream.on('error', forget);
    upstream.connect(Number(port), hostname);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the proxy has no port');
  return {
    url: `redis://127.0.0.1:${address.port}`,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const deliver of held.splice(0)) deliver();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
