/**
 * The Lua scripts are real files (src/redis/lua/): built with their includes, their key count read
 * from the file name, and a Redis error pointing at the file and line it came from.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LUA_SOURCES } from '../../src/redis/lua/sources.js';
import { buildLuaScript, withScriptLines } from '../../src/redis/lua-scripts.js';
import { LOCK_COMMANDS, RECORD_COMMANDS } from '../../src/redis/scripts.js';
import { connectRedis } from '../support/redis-test-kit.js';
// @ts-expect-error: a plain .mjs script without types
import { luaSourcesModule } from '../../scripts/lua-sources.mjs';

const redis = connectRedis();
afterAll(async () => {
  await redis.quit();
});

describe('Lua scripts as files', () => {
  it('sources.ts holds exactly the .lua files as they are (npm run lua writes it)', () => {
    const luaDir = new URL('../../src/redis/lua/', import.meta.url);
    expect(readFileSync(new URL('sources.ts', luaDir), 'utf8')).toBe(luaSourcesModule());
    const files = readdirSync(luaDir).filter((name) => name.endsWith('.lua'));
    for (const file of files) expect(LUA_SOURCES[file], file).toBe(readFileSync(new URL(file, luaDir), 'utf8'));
  });

  it('reads each key count from the file name and names KEYS in each header', () => {
    expect(RECORD_COMMANDS.novitaReconcilerPutRecord.standard.numberOfKeys).toBe(2);
    expect(RECORD_COMMANDS.novitaReconcilerApplyWrites.portable.numberOfKeys).toBeUndefined();
    expect(LOCK_COMMANDS.novitaReconcilerRenewLock.numberOfKeys).toBe(1);
    expect(LOCK_COMMANDS.novitaReconcilerRecordCompletedRun.numberOfKeys).toBe(2);
    for (const file of Object.keys(LUA_SOURCES).filter((name) => !name.startsWith('includes/'))) {
      expect(LUA_SOURCES[file], file).toMatch(/^--\[\[[\s\S]*KEYS[\s\S]*ARGV[\s\S]*Reply[\s\S]*\]\]/);
    }
    expect(() => buildLuaScript('noCount.lua', 'standard', { 'noCount.lua': 'return 1' })).toThrow(/key count/);
  });

  it('expands includes, the prelude by flavour, and leaves no include line behind', () => {
    for (const flavour of ['standard', 'portable'] as const) {
      const { lua } = RECORD_COMMANDS.novitaReconcilerApplyWrites[flavour];
      expect(lua).not.toMatch(/@include/);
      expect(lua).toMatch(/local function typeOf/);
    }
    expect(RECORD_COMMANDS.novitaReconcilerApplyWrites.portable.lua).toMatch(/local sha1Blocks/);
    expect(RECORD_COMMANDS.novitaReconcilerApplyWrites.standard.lua).not.toMatch(/local sha1Blocks/);
  });

  it('a Redis error names the file and line of the script, past the included prelude, and of an include', async () => {
    const sources = {
      ...LUA_SOURCES,
      'boom-1.lua':
        '--[[\n  KEYS[1]: any. ARGV: none. Reply: never.\n]]\n--- @include "prelude"\nlocal missing = nil\nreturn missing.field\n',
      'includes/broken.lua': '-- a helper that fails\nlocal x = nil\nlocal y = x.field\n',
      'broken-0.lua': '--- @include "broken"\nreturn 1\n',
    };
    const boom = buildLuaScript('boom-1.lua', 'standard', sources);
    const failure = await redis.eval(boom.lua, 1, 'novita-reconciler-test:boom').then(
      () => new Error('expected the script to fail'),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/user_script:\d+/);
    expect(withScriptLines(failure, boom).message).toMatch(/boom-1\.lua:6:/);
    expect(failure.message).not.toMatch(/user_script/);

    const broken = buildLuaScript('broken-0.lua', undefined, sources);
    const included = await redis.eval(broken.lua, 0).then(
      () => new Error('expected the script to fail'),
      (error: Error) => error,
    );
    expect(withScriptLines(included, broken).message).toMatch(/includes\/broken\.lua:3:/);
  });
});
