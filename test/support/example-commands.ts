/**
 * The header of each file under examples/: the command its `Run:` block says runs it, or the file it is
 * `Part of:`, or what it is `Used as:`. Tests run an example with `exampleCommand(file)`, so the command
 * a user copies from the header is the command the tests run: the two cannot drift apart.
 *
 * A header is the file's leading comment (`/** ... *\/`, `#` lines, `//` lines). A `Run:` line (or
 * `Run (...):`) is followed by one indented command per line; `VAR=value` words before the command are
 * its environment (placeholders such as `sk_...`: tests give their own values), `[--flag]` is optional,
 * and `# ...` after a command is a comment.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** A command from a `Run:` block. */
export interface ExampleCommand {
  /** The line as written in the header. */
  readonly text: string;
  /** `VAR=value` words before the command. */
  readonly env: Record<string, string>;
  /** The program (`node`, `npm`, `kubectl`). */
  readonly program: string;
  /** Its arguments, without the optional `[...]` ones. */
  readonly args: string[];
  /** The optional arguments, without their brackets. */
  readonly optional: string[];
}

/** What a header says. */
export interface ExampleHeader {
  readonly run: ExampleCommand[];
  readonly partOf: string | null;
  readonly usedAs: string | null;
}

/** Every file under examples/ but the markdown ones, relative to the root. */
export function exampleFiles(): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('examples');
  return files.sort();
}

/** The text of a file's leading comment, one entry per line, comment markers removed. */
function leadingComment(text: string): string[] {
  const lines = text.split('\n');
  if (lines[0]?.startsWith('/**')) {
    const end = lines.findIndex((line) => line.includes('*/'));
    return lines.slice(1, end).map((line) => line.replace(/^\s*\* ?/, ''));
  }
  const marker = lines[0]?.startsWith('#') ? '#' : lines[0]?.startsWith('//') ? '//' : null;
  if (!marker) return [];
  const comment: string[] = [];
  for (const line of lines) {
    if (!line.startsWith(marker)) break;
    comment.push(line.slice(marker.length).replace(/^ /, ''));
  }
  return comment;
}

function parseCommand(text: string): ExampleCommand {
  const words = text
    .replace(/\s+#.*$/, '')
    .trim()
    .split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name = '', ...value] = (words.shift() ?? '').split('=');
    env[name] = value.join('=');
  }
  const [program = '', ...rest] = words;
  return {
    text,
    env,
    program,
    args: rest.filter((word) => !word.startsWith('[')),
    optional: rest.filter((word) => word.startsWith('[')).map((word) => word.replace(/^\[|\]$/g, '')),
  };
}

/** What the header of `file` (relative to the root) says. */
export function exampleHeader(file: string): ExampleHeader {
  const comment = leadingComment(readFileSync(join(ROOT, file), 'utf8'));
  const run: ExampleCommand[] = [];
  let partOf: string | null = null;
  let usedAs: string | null = null;
  comment.forEach((line, index) => {
    if (/^Run( \(.*\))?:\s*$/.test(line)) {
      for (const next of comment.slice(index + 1)) {
        if (!/^\s{2,}\S/.test(next)) break;
        run.push(parseCommand(next));
      }
    }
    const part = /^Part of: (\S+)/.exec(line);
    if (part) partOf = part[1] ?? null;
    const used = /^Used as: (.+)$/.exec(line);
    if (used) usedAs = used[1] ?? null;
  });
  return { run, partOf, usedAs };
}

/** The `index`th command of the `Run:` block of `file`; throws when the header has none. */
export function exampleCommand(file: string, index = 0): ExampleCommand {
  const command = exampleHeader(file).run[index];
  if (!command) throw new Error(`${file}: its header has no Run: command number ${index + 1}`);
  return command;
}

/**
 * What to spawn for `command`: the program (`node` is this Node), its arguments (the optional ones
 * too when `withOptional`), and its environment: the `VAR=value` words of the header, under `env` (the
 * test's values, which replace the placeholders).
 */
export function spawnable(
  command: ExampleCommand,
  env: Record<string, string | undefined>,
  withOptional = false,
): { file: string; args: string[]; env: Record<string, string | undefined> } {
  return {
    file: command.program === 'node' ? process.execPath : command.program,
    args: [...command.args, ...(withOptional ? command.optional : [])],
    env: { ...command.env, ...env },
  };
}
