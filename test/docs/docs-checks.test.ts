/**
 * The docs checks (scripts/check-links.ts, scripts/check-snippets.ts) catch what they exist for: a
 * link to a file or heading that is not there, a link into files the package does not ship, and a
 * snippet that calls the API wrongly, each named by file and line. Without these, a checker that
 * silently checked nothing would pass CI.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anchorsOf, brokenLinks, slug } from '../../scripts/check-links.js';
import { checkSnippets, snippetsOf } from '../../scripts/check-snippets.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Building the program over src/ takes a few seconds; a busy CI machine gets room. */
const PROGRAM_TIMEOUT_MS = 60_000;
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

describe('the link check', () => {
  it("anchors headings by GitHub's rule: code spans kept, punctuation dropped, repeats numbered", () => {
    expect(slug('`--config <module>`')).toBe('--config-module');
    expect(slug('`watch`: the schedule in a worker')).toBe('watch-the-schedule-in-a-worker');
    expect(slug('createNovitaClient(options)')).toBe('createnovitaclientoptions');
    expect(slug('One replica or many: the lock')).toBe('one-replica-or-many-the-lock');
    expect([...anchorsOf('# A\n## Options\n```\n## not a heading\n```\n## Options\n<a id="custom"></a>\n')]).toEqual([
      'a',
      'options',
      'options-1',
      'custom',
    ]);
  });

  it('names a missing file, a missing heading and a link into files the package does not ship, each at its line', () => {
    const root = mkdtempSync(join(tmpdir(), 'links-check-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ files: ['docs', 'README.md'] }));
    mkdirSync(join(root, 'docs'));
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src/lock.ts'), '');
    writeFileSync(join(root, 'docs/guide.md'), '# Guide\n\n## Setting up\n');
    writeFileSync(
      join(root, 'README.md'),
      [
        '[fine](docs/guide.md#setting-up) [web](https://example.com/x#y)',
        '[gone](docs/missing.md)',
        '[no heading](docs/guide.md#set-up)',
        '[not shipped](src/lock.ts)',
        '`[in code](docs/missing.md)`',
        '```md',
        '[in a block](docs/missing.md)',
        '```',
      ].join('\n'),
    );
    expect(brokenLinks(root)).toEqual([
      'README.md:2: docs/missing.md: no such file or folder',
      'README.md:3: docs/guide.md#set-up: no heading #set-up in docs/guide.md',
      'README.md:4: src/lock.ts: src/lock.ts is not in the published package (package.json "files"), so the link breaks on npm',
    ]);
  });

  it('finds nothing broken in the repository', () => {
    expect(brokenLinks(ROOT)).toEqual([]);
  });
});

describe('the snippet check', () => {
  it('reads a snippet with the comments above it, and skips no-check and other languages', () => {
    const text = [
      '<!-- snippet-dir: examples/ops -->',
      '<!-- snippet-prelude',
      'declare const x: number;',
      '-->',
      '',
      '```ts',
      'console.log(x);',
      '```',
      '```ts no-check',
      'not: a module',
      '```',
      '```sh',
      'npm test',
      '```',
    ].join('\n');
    expect(snippetsOf('docs/a.md', text)).toEqual([
      { file: 'docs/a.md', line: 7, language: 'ts', code: 'console.log(x);', prelude: 'declare const x: number;\n', dir: 'examples/ops' },
    ]);
  });

  it(
    'fails a snippet that calls the API wrongly, naming the markdown file and line',
    () => {
      mkdirSync(join(ROOT, 'tmp'), { recursive: true });
      const file = `tmp/snippet-check-${process.pid}.md`;
      cleanups.push(() => rmSync(join(ROOT, file), { force: true }));
      writeFileSync(
        join(ROOT, file),
        [
          '# A page',
          '',
          '```ts',
          "import { createReconciler } from 'novita-reconciler';",
          '',
          'const wrong = createReconciler({ stroe: store, novitaClient });',
          'await reconciler.sync({ dryRun: true });',
          '```',
          '',
          '<!-- snippet-dir: examples/ops/postgres-store -->',
          '```js',
          "import { createPostgresStore } from './postgres-store.js';",
          'createPostgresStore({ client: 42 });',
          '```',
        ].join('\n'),
      );
      const { snippets, errors } = checkSnippets(ROOT, [file]);
      expect(snippets).toBe(2);
      expect(errors).toEqual([
        expect.stringMatching(new RegExp(`^${file}:6:\\d+: .*stroe`)),
        expect.stringMatching(new RegExp(`^${file}:13:\\d+: .*number`)),
      ]);
    },
    PROGRAM_TIMEOUT_MS,
  );
});
