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
});
