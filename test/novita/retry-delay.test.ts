import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../src/novita/retry-delay.js';

describe('backoff with full jitter', () => {
  it('stays within [0, base * 2^attempt) and never above the cap', () => {
    expect(backoffDelay(0, 100, 5000, () => 0)).toBe(0);
    expect(backoffDelay(0, 100, 5000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 5000, () => 0.999)).toBe(799);
    expect(backoffDelay(20, 100, 5000, () => 0.999)).toBe(4995);
    expect(backoffDelay(1000, 100, 5000, () => 0.5)).toBe(2500);
  });
});

describe('Retry-After', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(1500);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores an absent or unreadable header so the caller backs off on its own', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
