import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createRequestGate } from '../../src/novita/request-gate.js';

describe('request gate', () => {
  it('never lets more than maxConcurrency requests in at once', async () => {
    const gate = createRequestGate(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await gate.acquire();
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running -= 1;
        gate.release();
      }),
    );
    expect(peak).toBe(3);
  });

  it('after a 429 pauses every request for the wait and halves the bound, then recovers with successes', async () => {
    let now = 1_000;
    const gate = createRequestGate(4, () => now);
    gate.noteRateLimited(50);
    expect(gate.currentLimit).toBe(2);
    const started = Date.now();
    now += 0;
    const waiting = gate.acquire();
    setTimeout(() => {
      now += 50;
    }, 30);
    await waiting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    gate.release();
    for (let index = 0; index < 10; index += 1) gate.noteSuccess();
    expect(gate.currentLimit).toBe(4);
  });

  it('rejects a waiting acquire with ABORTED when its signal aborts', async () => {
    const gate = createRequestGate(1);
    await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('holds one abort listener per signal however many acquires wait under it, and none once they are through', async () => {
    const gate = createRequestGate(2);
    const controller = new AbortController();
    const waiting = Array.from({ length: 50 }, () => gate.acquire(controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    let through = 0;
    for (const acquire of waiting) {
      await acquire;
      through += 1;
      gate.release();
    }
    expect(through).toBe(50);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('lets waiters in in the order they came', async () => {
    const gate = createRequestGate(1);
    await gate.acquire();
    const order: number[] = [];
    const waiting = [0, 1, 2, 3].map((index) => gate.acquire().then(() => order.push(index)));
    for (let index = 0; index < 4; index += 1) {
      gate.release();
      await waiting[index];
    }
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('an abort rejects only the acquires under that signal; the others still get their slot', async () => {
    const gate = createRequestGate(1);
    await gate.acquire();
    const aborted = new AbortController();
    const kept = new AbortController();
    const doomed = [gate.acquire(aborted.signal), gate.acquire(aborted.signal)];
    const survivor = gate.acquire(kept.signal);
    aborted.abort();
    for (const acquire of doomed) await expect(acquire).rejects.toMatchObject({ code: 'ABORTED' });
    expect(getEventListeners(aborted.signal, 'abort')).toHaveLength(0);
    gate.release();
    await survivor;
    expect(gate.inFlight).toBe(1);
    expect(getEventListeners(kept.signal, 'abort')).toHaveLength(0);
  });

  it('during a 429 pause, acquires queue under one listener and all go through when it ends', async () => {
    const gate = createRequestGate(4);
    gate.noteRateLimited(20);
    const controller = new AbortController();
    const waiting = Array.from({ length: 30 }, () => gate.acquire(controller.signal).then(() => gate.release()));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await Promise.all(waiting);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('an abort of every waiter during a pause lets the pause timer go, so an aborted run can exit', async () => {
    const gate = createRequestGate(2);
    gate.noteRateLimited(3_600_000);
    const controller = new AbortController();
    const waiting = [gate.acquire(controller.signal), gate.acquire(controller.signal)];
    const timersBefore = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    controller.abort();
    for (const acquire of waiting) await expect(acquire).rejects.toMatchObject({ code: 'ABORTED' });
    expect(process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length).toBe(timersBefore - 1);
  });
});

describe('request gate: adaptive bound and request budget', () => {
  it('a burst of server errors in a row halves the bound; a success in between resets the count', () => {
    const gate = createRequestGate(8);
    gate.noteServerError();
    gate.noteServerError();
    gate.noteSuccess();
    gate.noteServerError();
    gate.noteServerError();
    expect(gate.currentLimit).toBe(8);
    gate.noteServerError();
    expect(gate.currentLimit).toBe(4);
    for (let i = 0; i < 3; i += 1) gate.noteServerError();
    expect(gate.currentLimit).toBe(2);
    // Recovers one step per run of successes as long as the bound.
    for (let i = 0; i < 2; i += 1) gate.noteSuccess();
    expect(gate.currentLimit).toBe(3);
  });

  it('a token bucket lets a burst through, then one request per 1/rate seconds, whatever the concurrency', async () => {
    let now = 0;
    const gate = createRequestGate(16, () => now, { requestsPerSecond: 10, burst: 2 });
    const entered: number[] = [];
    const all = Array.from({ length: 5 }, async () => {
      await gate.acquire();
      entered.push(now);
      gate.release();
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(entered).toEqual([0, 0]);
    // The gate's timer re-reads the clock when it fires: move the clock, then let the timer run.
    for (let step = 0; step < 3; step += 1) {
      now += 100;
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    await Promise.all(all);
    expect(entered).toEqual([0, 0, 100, 200, 300]);
  });

  it('an abort while waiting for a token rejects only that waiter and leaves no timer behind', async () => {
    let now = 0;
    const gate = createRequestGate(4, () => now, { requestsPerSecond: 1, burst: 1 });
    await gate.acquire();
    gate.release();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    now += 1_000;
    await expect(gate.acquire()).resolves.toBeUndefined();
  });
});
