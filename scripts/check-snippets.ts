/**
 * Type-checks every code snippet of the README and docs/ against the package's sources, so a snippet
 * that calls an API wrongly (a renamed option, a missing import, a wrong argument) fails CI.
 *
 *   npx tsx scripts/check-snippets.ts     # exits 1 and lists each error as file.md:line
 *
 * What is checked: every fenced block whose info string starts with `ts` or `typescript` (compiled as
 * a TypeScript module) or `js` / `mjs` (as an ES module under `checkJs`), in README.md and docs/**.md.
 * docs/api/ is left out: it is generated from the same TSDoc the compiler reads.
 *
 * The conventions a snippet may use, so that it can stay short for its reader:
 * - The package by name: `novita-reconciler`, `novita-reconciler/http`, `/redis`, `/novita` and
 *   `/testing` resolve to the entry files under src/ (the root tsconfig's `paths`, plus `/http`).
 *   Other packages (express, pino, ioredis, ...) resolve from the repository's node_modules.
 * - A few names are declared for every snippet, as the page around it builds them: `reconciler`,
 *   `store`, `novitaClient`, `lock`, `redis`, `app` (an Express app), `requireAdmin` (an Express middleware),
 *   `fastify` (a Fastify instance). See SNIPPET_GLOBALS below. A snippet that declares one of them
 *   itself uses its own (module scope shadows these).
 * - An HTML comment right above the fence, invisible on GitHub and npm, adds to one snippet:
 *     <!-- snippet-prelude
 *     declare const app: import('hono').Hono;
 *     -->
 *   prepends code (declarations the page's prose stands for), and
 *     <!-- snippet-dir: examples/ops/postgres-store -->
 *   checks the snippet as if it were a file in that folder, so its relative imports
 *   (`./postgres-store.js`) resolve to the example it talks about.
 * - A fence whose info string holds `no-check` (```ts no-check) is skipped: for a fragment that cannot
 *   be a module (a signature, part of an object). Use it rarely, and say in the prose what it is.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The names every snippet may use without building them (see the header). */
const SNIPPET_GLOBALS = `
import type { InstanceStore, NovitaClient, Reconciler, SyncLock } from 'novita-reconciler';
import type { RedisStore } from 'novita-reconciler/redis';
declare global {
  /** The reconciler the page built: \`createReconciler({ store, novitaClient, ... })\`. */
  const reconciler: Reconciler;
  /** The records' store: the Redis store, whose methods include every store's. */
  const store: RedisStore & InstanceStore;
  /** A Novita client: \`createNovitaClient()\`. */
  const novitaClient: NovitaClient;
  /** The lock replicas share: \`createRedisLock({ store })\`. */
  const lock: SyncLock;
  /** The application's ioredis client. */
  const redis: import('ioredis').Redis;
  /** An Express app. */
  const app: import('express').Express;
  /** The application's own authentication, as an Express middleware. */
  const requireAdmin: import('express').RequestHandler;
  /** A Fastify instance. */
  const fastify: import('fastify').FastifyInstance;
}
export {};
`;

/** One snippet, as found in its markdown file. */
interface Snippet {
  /** The markdown file, relative to the root. */
  file: string;
  /** The line of the first line of code (1-based). */
  line: number;
  language: 'ts' | 'js';
  code: string;
  prelude: string;
  /** The folder it is checked as if it lived in, relative to the root. */
  dir: string;
}

/** The markdown files whose snippets are checked, relative to the root. */
function markdownFiles(root: string): string[] {
  const files = existsSync(join(root, 'README.md')) ? ['README.md'] : [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory() && path !== 'docs/api') walk(path);
      else if (entry.isFile() && entry.name.endsWith('.md')) files.push(path);
    }
  };
  if (existsSync(join(root, 'docs'))) walk('docs');
  return files;
}

/** Every checked snippet of a markdown file, with the comments above it applied. */
export function snippetsOf(file: string, text: string): Snippet[] {
  const lines = text.split('\n');
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index++) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/.exec(lines[index] ?? '');
    if (!fence) continue;
    const [, indent = '', marker = '```', language = '', rest = ''] = fence;
    const end = lines.findIndex((line, at) => at > index && line.trim().startsWith(marker));
    const close = end === -1 ? lines.length : end;
    const kind = ['ts', 'typescript'].includes(language) ? 'ts' : ['js', 'mjs', 'javascript'].includes(language) ? 'js' : null;
    if (kind && !/\bno-check\b/.test(rest)) {
      const { prelude, dir } = commentsAbove(lines, index);
      snippets.push({
        file,
        line: index + 2,
        language: kind,
        code: lines
          .slice(index + 1, close)
          .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
          .join('\n'),
        prelude,
        dir,
      });
    }
    index = close;
  }
  return snippets;
}

/** The `snippet-prelude` and `snippet-dir` comments directly above a fence (blank lines between allowed). */
function commentsAbove(lines: string[], fenceIndex: number): { prelude: string; dir: string } {
  let prelude = '';
  let dir = '';
  let at = fenceIndex - 1;
  while (at >= 0) {
    const line = lines[at]?.trim() ?? '';
    if (line === '') {
      at--;
      continue;
    }
    if (!line.endsWith('-->')) break;
    let start = at;
    while (start >= 0 && !(lines[start] ?? '').includes('<!--')) start--;
    const comment = lines
      .slice(start, at + 1)
      .join('\n')
      .replace(/^\s*<!--/, '')
      .replace(/-->\s*$/, '');
    const dirMatch = /^\s*snippet-dir:\s*(\S+)\s*$/.exec(comment);
    const preludeMatch = /^\s*snippet-prelude\b([\s\S]*)$/.exec(comment);
    if (dirMatch) dir = dirMatch[1] ?? '';
    else if (preludeMatch) prelude = `${preludeMatch[1]?.trim() ?? ''}\n${prelude}`;
    else break;
    at = start - 1;
  }
  return { prelude, dir };
}

/** The compiler options: the root tsconfig's (which maps every entry point to src/), with JS checked. */
function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath);
  return {
    ...parsed.options,
    pathsBasePath: root,
    noEmit: true,
    allowJs: true,
    checkJs: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
  };
}

/** Type-checks every snippet of `files` (relative to `root`; README.md and docs/ by default); returns the errors as `file.md:line: message`. */
export function checkSnippets(root: string = ROOT, files: string[] = markdownFiles(root)): { snippets: number; errors: string[] } {
  const snippets = files.flatMap((file) => snippetsOf(file, readFileSync(join(root, file), 'utf8')));
  const virtual = new Map<string, { text: string; snippet: Snippet | null; preludeLines: number }>();
  const globalsPath = join(root, '__snippets__', 'snippet-globals.d.ts');
  virtual.set(globalsPath, { text: SNIPPET_GLOBALS, snippet: null, preludeLines: 0 });
  for (const snippet of snippets) {
    const name = `__snippet__${snippet.file.replace(/[/.]/g, '_')}_L${snippet.line}.${snippet.language === 'ts' ? 'ts' : 'mjs'}`;
    const folder = snippet.dir ? join(root, snippet.dir) : join(root, '__snippets__');
    const prelude = snippet.prelude ? `${snippet.prelude}\n` : '';
    // `export {}` makes every snippet a module, so its names never collide with another's or the globals'.
    virtual.set(join(folder, name), {
      text: `${prelude}${snippet.code}\nexport {};\n`,
      snippet,
      preludeLines: prelude === '' ? 0 : prelude.split('\n').length - 1,
    });
  }

  const options = compilerOptions(root);
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (path) => virtual.has(resolve(path)) || fileExists.call(host, path);
  host.readFile = (path) => virtual.get(resolve(path))?.text ?? readFile.call(host, path);
  host.getSourceFile = (path, language, ...rest) => {
    const entry = virtual.get(resolve(path));
    return entry ? ts.createSourceFile(path, entry.text, language, true) : getSourceFile.call(host, path, language, ...rest);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);

  const errors: string[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ');
    const path = diagnostic.file ? resolve(diagnostic.file.fileName) : undefined;
    const entry = path ? virtual.get(path) : undefined;
    if (!diagnostic.file || diagnostic.start === undefined || !entry) {
      // An error outside the snippets (the sources, a broken config) still fails the check.
      const where = diagnostic.file ? relative(root, diagnostic.file.fileName) : 'tsconfig';
      errors.push(`${where}: ${message}`);
      continue;
    }
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    if (!entry.snippet) {
      errors.push(`scripts/check-snippets.ts (SNIPPET_GLOBALS line ${line + 1}): ${message}`);
      continue;
    }
    const codeLine = line - entry.preludeLines;
    const where =
      codeLine >= 0
        ? `${entry.snippet.file}:${entry.snippet.line + codeLine}:${character + 1}`
        : `${entry.snippet.file}:${entry.snippet.line - 1} (its snippet-prelude)`;
    errors.push(`${where}: ${message}`);
  }
  return { snippets: snippets.length, errors };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { snippets, errors } = checkSnippets();
  if (errors.length > 0) {
    console.error(`${errors.length} error(s) in the ${snippets} code snippets of README.md and docs/:\n  ${errors.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`snippets: all ${snippets} code snippets of README.md and docs/ type-check against the package`);
}
