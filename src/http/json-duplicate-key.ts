/**
 * A JSON text that names a key twice in one object is ambiguous: `JSON.parse` keeps the last value,
 * while a proxy, a validator or a log reader in front of the endpoint may read the first. With
 * `{"dryRun":true,"dryRun":false}` one of them sees a dry run and the handler runs a real sync. So the
 * adapters refuse such a body, whatever the depth of the repeated key.
 */

/** Where a repeated key sits: `dryRun`, `options.dryRun`, `items[2].id`. */
export type JsonKeyPath = string;

interface Frame {
  /** The keys seen so far in this object; `undefined` for an array. */
  keys: Set<string> | undefined;
  /** The path of this container. */
  path: string;
  /** The key being read (objects) or the index of the current item (arrays). */
  current: string | number;
}

/**
 * The path of the first key given twice in one object of `text`, or `undefined` when every object's
 * keys are distinct. Keys are compared as `JSON.parse` would read them (`"dry\u0052un"` is `dryRun`).
 * `text` must be valid JSON (call it after `JSON.parse` succeeded); it runs in one pass without
 * recursion, so a deeply nested body costs no stack.
 */
export function findDuplicateKey(text: string): JsonKeyPath | undefined {
  const stack: Frame[] = [];
  const childPath = (): string => {
    const parent = stack.at(-1);
    if (parent === undefined) return '';
    return typeof parent.current === 'number' ? `${parent.path}[${parent.current}]` : joinKey(parent.path, parent.current);
  };
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      const end = stringEnd(text, index);
      const top = stack.at(-1);
      if (top?.keys !== undefined && nextNonSpace(text, end + 1) === ':') {
        const key = JSON.parse(text.slice(index, end + 1)) as string;
        if (top.keys.has(key)) return joinKey(top.path, key);
        top.keys.add(key);
        top.current = key;
      }
      index = end;
    } else if (char === '{') {
      stack.push({ keys: new Set(), path: childPath(), current: '' });
    } else if (char === '[') {
      stack.push({ keys: undefined, path: childPath(), current: 0 });
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',') {
      const top = stack.at(-1);
      if (top !== undefined && typeof top.current === 'number') top.current += 1;
    }
  }
  return undefined;
}

function joinKey(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The index of the quote that closes the string opened at `start`. */
function stringEnd(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') index += 1;
    else if (char === '"') return index;
  }
  return text.length - 1;
}

function nextNonSpace(text: string, from: number): string | undefined {
  for (let index = from; index < text.length; index += 1) {
    const char = text[index];
    if (char !== ' ' && char !== '\t' && char !== '\n' && char !== '\r') return char;
  }
  return undefined;
}
