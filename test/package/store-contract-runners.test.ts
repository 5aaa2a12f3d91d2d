/**
 * The store contract suite under `node:test`, from the built package as a user imports it: with the
 * documented one-line adapter it passes against the memory store, and a store whose `create()` never
 * resolves fails every test with the suite's own deadline message (the adapter or not), instead of
 * hanging the run.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../support/built-cli.js';

let build: string;
let folder: string;
beforeAll(() => {
  build = buildPackage();
  folder = mkdtempSync(join(tmpdir(), 'novita-contract-node-test-'));
}, 300_000);
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

/** Runs `node --test` on a module defining the suite with `define` (the body of a function of `defineStoreContract`, `it`, `describe`, `memoryHarness`). */
function nodeTest(name: string, define: string): Promise<{ code: number | null; output: string }> {
  const file = join(folder, `${name}.test.mjs`);
  writeFileSync(
    file,
    `import { describe, it } from 'node:test';
import { defineStoreContract } from ${JSON.stringify(pathToFileURL(join(build, 'testing.js')).href)};
import { createMemoryStore } from ${JSON.stringify(pathToFileURL(join(build, 'index.js')).href)};
const memoryHarness = () => {
  const store = createMemoryStore();
  return { store, writeRaw: async (id, text) => store.writeRaw(id, text), deleteRaw: async (id) => store.deleteRaw(id) };
};
const adapted = { describe, it: (name, body, timeout) => it(name, { timeout }, body) };
${define}
`,
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--test', '--test-reporter=tap', file],
      { cwd: folder, env: { PATH: process.env.PATH ?? '' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

const count = (output: string, pattern: RegExp): number => Number(pattern.exec(output)?.[1] ?? NaN);

describe('defineStoreContract under node:test', () => {
  it('passes against the memory store with the adapter and a timeout', async () => {
    const { code, output } = await nodeTest(
      'memory',
      `defineStoreContract(adapted, { name: 'memory', create: memoryHarness, timeoutMs: 10000 });`,
    );
    expect(code, output).toBe(0);
    expect(count(output, /^# pass (\d+)$/m)).toBeGreaterThan(20);
    expect(count(output, /^# fail (\d+)$/m)).toBe(0);
  });

  it('a create() that never resolves fails every test with the deadline message, with the adapter or without it', async () => {
    const { code, output } = await nodeTest(
      'hanging',
      `defineStoreContract(adapted, { name: 'hanging, adapted', create: () => new Promise(() => {}), timeoutMs: 40 });
defineStoreContract({ describe, it }, { name: 'hanging, plain it', create: () => new Promise(() => {}), timeoutMs: 40 });`,
    );
    expect(code).toBe(1);
    const failed = count(output, /^# fail (\d+)$/m);
    expect(failed).toBeGreaterThan(40);
    expect(output.match(/did not finish within 40 ms: create\(\) was still running/g)?.length).toBe(failed);
    expect(count(output, /^# pass (\d+)$/m)).toBe(0);
  });
});
