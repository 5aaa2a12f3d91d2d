import { describe, expect, it } from 'vitest';
import { hashTagOf } from '../../src/redis/index.js';
import { keyLayout } from '../../src/redis/keys.js';

describe('Redis key layout', () => {
  it('hashes like Redis Cluster: the first non-empty {tag}, else the whole key', () => {
    expect(hashTagOf('{app}:record:1')).toBe('app');
    expect(hashTagOf('{app}:record:{x}')).toBe('app');
    expect(hashTagOf('plain:key')).toBe('plain:key');
    expect(hashTagOf('{}:a{b}')).toBe('{}:a{b}');
    expect(hashTagOf('a{b')).toBe('a{b');
  });

  it('gives every key of a prefix, whatever the record id, the same hash tag', () => {
    const layout = keyLayout('myapp:instances');
    const ids = ['1', 'a:b', '{evil}', 'x}y{z', 'ünï code'];
    const keys = [layout.index, layout.lock, layout.audit, ...ids.map((id) => layout.record(id))];
    for (const key of keys) expect(hashTagOf(key)).toBe('myapp:instances');
  });

  it('refuses a prefix with braces, which would move keys to other slots', () => {
    expect(() => keyLayout('a{b}')).toThrow(/prefix/);
  });
});
