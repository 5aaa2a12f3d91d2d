/**
 * Checks every relative link of the package's markdown: README.md, CHANGELOG.md, docs/ (the generated
 * API reference in docs/api/ included when it has been built) and examples/. A link must name a file or
 * folder that exists and that the package ships (`files` in package.json: a link into src/ or test/
 * resolves in a clone but not in node_modules), and its `#anchor` must be a heading of the target (by
 * GitHub's slug rule: lowercase, punctuation dropped, spaces to `-`, `-1`, `-2`... for repeats) or an
 * explicit `<a id>` / `<a name>`. Links inside code blocks and code spans are not links. Web links
 * (`https:`, `mailto:`) are not fetched: CI has no network to check them against.
 *
 *   npx tsx scripts/check-links.ts        # exits 1 and lists every broken link as file:line
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A link found in a markdown file. */
interface Link {
  file: string;
  line: number;
  target: string;
}

/** The markdown files checked, relative to the root. */
export function markdownFiles(root: string = ROOT): string[] {
  const files = ['README.md', 'CHANGELOG.md'].filter((file) => existsSync(join(root, file)));
  const walk = (folder: string): void => {
    if (!existsSync(join(root, folder))) return;
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  walk('examples');
  return files;
}

/** The text of a markdown file with fenced code blocks blanked (lines kept, so line numbers stay right). */
function withoutCodeBlocks(text: string): string[] {
  let fence: string | null = null;
  return text.split('\n').map((line) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === null && opening) {
      fence = opening[1] ?? null;
      return '';
    }
    if (fence !== null) {
      if (line.trim().startsWith(fence)) fence = null;
      return '';
    }
    return line;
  });
}

/** Every link target of a markdown file: inline links and images, reference definitions, HTML `href`s. */
export function linksOf(file: string, text: string): Link[] {
  const links: Link[] = [];
  withoutCodeBlocks(text).forEach((raw, index) => {
    const line = raw.replace(/`[^`]*`/g, (span) => ' '.repeat(span.length));
    for (const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ file, line: index + 1, target: match[1] ?? '' });
    const definition = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
    if (definition) links.push({ file, line: index + 1, target: definition[1] ?? '' });
    for (const match of line.matchAll(/<a\s[^>]*href="([^"]+)"/g)) links.push({ file, line: index + 1, target: match[1] ?? '' });
  });
  return links;
}

/** GitHub's heading anchor for a heading's markdown text. */
export function slug(heading: string): string {
  // Code spans keep their text as it is; elsewhere links become their text, and HTML tags and emphasis markers go.
  const text = heading
    .split(/(`+[^`]*`+)/)
    .map((part) =>
      part.startsWith('`')
        ? part.replace(/^`+|`+$/g, '')
        : part
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
            .replace(/<[^>]+>/g, '')
            .replace(/[*]/g, ''),
    )
    .join('');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a markdown file: one per heading (numbered as GitHub numbers repeats), and explicit ids. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(text)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1] ?? '');
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  }
  return anchors;
}

/** Whether a path (relative to the root) is in the published package, by package.json's `files`. */
function shipped(root: string, path: string): boolean {
  const { files } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] };
  return path === 'package.json' || files.some((entry) => path === entry || path.startsWith(`${entry}/`));
}

/** Every broken link of the package's markdown, as `file:line: target: why`. */
export function brokenLinks(root: string = ROOT): string[] {
  const problems: string[] = [];
  const anchorCache = new Map<string, Set<string>>();
  for (const file of markdownFiles(root)) {
    for (const link of linksOf(file, readFileSync(join(root, file), 'utf8'))) {
      const { target } = link;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // https:, mailto:
      const [pathPart = '', anchor] = target.split('#', 2) as [string, string | undefined];
      const path = decodeURIComponent(pathPart);
      const absolute = path === '' ? join(root, file) : resolve(join(root, dirname(file)), path);
      const fromRoot = relative(root, absolute).split(sep).join('/');
      const where = `${file}:${link.line}: ${target}`;
      if (fromRoot.startsWith('..')) {
        problems.push(`${where}: points outside the repository`);
        continue;
      }
      if (!existsSync(absolute)) {
        problems.push(`${where}: no such file or folder`);
        continue;
      }
      if (!shipped(root, fromRoot.replace(/\/$/, ''))) {
        problems.push(`${where}: ${fromRoot} is not in the published package (package.json "files"), so the link breaks on npm`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (statSync(absolute).isDirectory() || !absolute.endsWith('.md')) {
        problems.push(`${where}: an anchor into something that is not a markdown file`);
        continue;
      }
      let anchors = anchorCache.get(absolute);
      if (!anchors) anchorCache.set(absolute, (anchors = anchorsOf(readFileSync(absolute, 'utf8'))));
      if (!anchors.has(anchor)) problems.push(`${where}: no heading #${anchor} in ${fromRoot}`);
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = brokenLinks();
  const files = markdownFiles();
  if (problems.length > 0) {
    console.error(`${problems.length} broken link(s) in ${files.length} markdown files:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`links: every relative link and anchor of ${files.length} markdown files resolves`);
}
