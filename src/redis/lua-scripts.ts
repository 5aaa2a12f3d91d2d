/**
 * The Lua scripts as Redis gets them, built from the files in lua/ (loaded as text at build time:
 * lua/sources.ts): `--- @include "name"` lines replaced by `lua/includes/<name>.lua` (`"prelude"` by
 * the flavour's prelude), the key count read from the file name (`applyWrites-n.lua`: given per call;
 * `putRecord-2.lua`: 2), and a line map so that an error Redis reports at a line of the built text
 * names the file and line it came from.
 */
import { LUA_SOURCES } from './lua/sources.js';
import type { ScriptFlavour } from './script-flavour.js';

/** @internal One script, built. */
export interface LuaScript {
  /** The file it was built from: `applyWrites-n.lua`. */
  file: string;
  /** The fixed number of keys, from the file name; `undefined` when each call gives it (`-n`). */
  numberOfKeys: number | undefined;
  /** The text Redis runs, includes expanded. */
  lua: string;
  /** Per line of `lua` (index 0 = line 1), the file and line it came from. */
  lines: readonly { file: string; line: number }[];
}

const INCLUDE = /^--- @include "([\w-]+)"\s*$/;
const KEY_COUNT = /-(\d+|n)\.lua$/;

/**
 * @internal Builds a script from its file. `flavour` picks the prelude for `--- @include "prelude"`;
 * `sources` are the files by their path under lua/ (the shipped ones unless a test gives its own).
 */
export function buildLuaScript(file: string, flavour?: ScriptFlavour, sources: Readonly<Record<string, string>> = LUA_SOURCES): LuaScript {
  const count = KEY_COUNT.exec(file)?.[1];
  if (count === undefined) throw new Error(`${file}: a script's name ends in its key count (-2.lua, or -n.lua when each call gives it)`);
  const out: string[] = [];
  const lines: { file: string; line: number }[] = [];
  const expand = (path: string, seen: readonly string[]): void => {
    const text = sources[path];
    if (text === undefined) throw new Error(`${seen.at(-1) ?? path}: no Lua file ${path}`);
    if (seen.includes(path)) throw new Error(`${path}: included in itself (${[...seen, path].join(' -> ')})`);
    text.split('\n').forEach((line, index) => {
      const name = INCLUDE.exec(line)?.[1];
      if (name === undefined) {
        out.push(line);
        lines.push({ file: path, line: index + 1 });
        return;
      }
      const include = name === 'prelude' && flavour !== undefined ? `includes/prelude-${flavour}.lua` : `includes/${name}.lua`;
      expand(include, [...seen, path]);
    });
  };
  expand(file, []);
  return { file, numberOfKeys: count === 'n' ? undefined : Number(count), lua: out.join('\n'), lines };
}

/** Redis names a script's line `user_script:12` (Redis 7) or `f_<sha1>:12` (Redis 6). */
const SCRIPT_LINE = /\b(?:user_script|f_[0-9a-f]{40}):(\d+)/g;

/**
 * @internal Rewrites the line references in a Redis error from a script (`user_script:57`) to the
 * file and line they came from (`applyWrites-n.lua:40`, `includes/common.lua:3`). Changes only the
 * message of the error it is given, and returns it.
 */
export function withScriptLines<E>(error: E, script: LuaScript): E {
  if (!(error instanceof Error)) return error;
  error.message = error.message.replace(SCRIPT_LINE, (found, line: string) => {
    const origin = script.lines[Number(line) - 1];
    return origin ? `${origin.file}:${origin.line}` : found;
  });
  return error;
}
