/**
 * Every file under examples/ says how it runs: a `Run:` block with the command, or the file it is
 * `Part of:` (whose header has one), or what it is `Used as:`. Every `Run:` command is one the tests
 * run as written (they take it from the header with `exampleCommand(file)`), never goes through `npx`
 * (which does not pass SIGTERM on), and names a file that exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleFiles, exampleHeader, ROOT } from '../support/example-commands.js';

/** The source of every test file that runs examples by their headers (imports example-commands), to find which ones run which example. */
const testSources = (): string => {
  const sources: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.test.ts')) {
        const source = readFileSync(join(ROOT, path), 'utf8');
        if (source.includes("from '../support/example-commands.js'")) sources.push(source);
      }
    }
  };
  walk('test');
  return sources.join('\n');
};

describe('the headers of examples/', () => {
  const files = exampleFiles();

  it('finds the examples', () => {
    expect(files.length).toBeGreaterThan(25);
  });

  it.each(files)('%s says how it runs: Run:, Part of: a file that has a Run:, or Used as:', (file) => {
    const header = exampleHeader(file);
    const says = header.run.length > 0 || header.partOf !== null || header.usedAs !== null;
    expect(says, `${file}: no Run:, Part of: or Used as: in its header`).toBe(true);
    if (header.partOf !== null) {
      expect(existsSync(join(ROOT, header.partOf)), `${file}: Part of ${header.partOf}, which does not exist`).toBe(true);
      const whole = exampleHeader(header.partOf);
      expect(whole.run.length > 0 || whole.usedAs !== null, `${file}: Part of ${header.partOf}, whose header has no Run: or Used as:`).toBe(
        true,
      );
    }
  });

  const runnable = files.filter((file) => exampleHeader(file).run.length > 0);
  it.each(runnable)('%s: its Run: commands name existing files, never go through npx, and a test runs it by that command', (file) => {
    for (const command of exampleHeader(file).run) {
      expect(['node', 'npm', 'kubectl'], command.text).toContain(command.program);
      for (const word of [...command.args, ...command.optional].filter((arg) => /^(examples|dist)\//.test(arg))) {
        // dist/ is what `npm run build` makes; examples/ paths must exist as written.
        if (word.startsWith('examples/')) expect(existsSync(join(ROOT, word)), `${command.text}: ${word}`).toBe(true);
      }
      expect(command.text, 'named in the command').toMatch(
        file === 'examples/demo.ts' ? /npm run demo/ : new RegExp(file.replace(/[.]/g, '\\.')),
      );
    }
    // The test runs it through exampleCommand (directly, or through a helper given the path).
    expect(testSources(), `no test that runs examples by their headers names '${file}'`).toContain(`'${file}'`);
  });
});
