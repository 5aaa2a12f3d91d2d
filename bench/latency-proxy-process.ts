/** Helper process: the Redis latency proxy, in a process of its own so its timers never wait on the library's CPU. */
import { serveParent } from './child-rpc.js';
import { startLatencyProxy, type LatencyProxy, type ProxyTraffic } from './latency-proxy.js';

let proxy: LatencyProxy | undefined;
const started = (): LatencyProxy => {
  if (!proxy) throw new Error('start the proxy first');
  return proxy;
};

const handlers = {
  async start(host: string, port: number, delayMs: number): Promise<number> {
    proxy = await startLatencyProxy({ target: { host, port }, delayMs });
    return proxy.port;
  },
  setDelay(ms: number) {
    started().delayMs = ms;
  },
  /** The traffic since the last call, and fresh counters. */
  takeTraffic(): ProxyTraffic {
    const traffic = started().traffic();
    started().resetTraffic();
    return traffic;
  },
  close: () => proxy?.close(),
};
export type LatencyProxyHandlers = typeof handlers;

serveParent(handlers);
