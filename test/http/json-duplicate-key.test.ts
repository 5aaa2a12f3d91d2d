import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from '../../src/http/json-duplicate-key.js';

describe('findDuplicateKey', () => {
  it.each([
    ['{"dryRun":true,"dryRun":false}', 'dryRun'],
    ['{"dryRun":true,"dry\\u0052un":false}', 'dryRun'],
    ['{"a":1,"b":{"c":1,"c":2}}', 'b.c'],
    ['{"a":[{"x":1},{"y":1,"y":2}]}', 'a[1].y'],
    ['{"a\\"":1,"a\\"":2}', 'a"'],
    [' { "k" : 1 , "k" : 2 } ', 'k'],
  ])('finds the repeated key in %s: %s', (text, path) => {
    JSON.parse(text);
    expect(findDuplicateKey(text)).toBe(path);
  });

  it.each(['{"a":"}{\\"a\\":1","b":1}', '{"a":{"a":1}}', '[{"a":1},{"a":1}]', '{"a":["a","a"],"b":"a"}', '{}', '{"":1,"\\u0000":2}'])(
    'finds none in %s',
    (text) => {
      JSON.parse(text);
      expect(findDuplicateKey(text)).toBeUndefined();
    },
  );

  it('finds none in any JSON.stringify output, and finds the key when one object is written with a key twice', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, key) => {
        const text = JSON.stringify({ wrapped: value });
        expect(findDuplicateKey(text)).toBeUndefined();
        const repeated = `{${JSON.stringify(key)}:1,"inner":${text},${JSON.stringify(key)}:2}`;
        expect(findDuplicateKey(repeated)).toBe(key);
      }),
      { numRuns: 300 },
    );
  });

  it('costs no stack on a deeply nested body', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(findDuplicateKey(deep)).toBeUndefined();
  });
});
