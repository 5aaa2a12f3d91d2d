/**
 * TSDoc coverage of the public API: every symbol exported from the entry points, and every member
 * of an exported interface, type literal or class, must carry a doc comment. Prints what lacks one.
 * Used by test/api-docs.test.ts; run by hand with `npx tsx scripts/doc-coverage.ts`.
 */
import { resolve } from 'node:path';
import ts from 'typescript';

export interface DocCoverage {
  documented: number;
  total: number;
  missing: string[];
}

const ENTRIES = [
  'src/index.ts',
  'src/testing/index.ts',
  'src/novita/index.ts',
  'src/redis/index.ts',
  'src/http/index.ts',
  'src/cli/index.ts',
];

export function docCoverage(root: string = resolve(import.meta.dirname, '..')): DocCoverage {
  const program = ts.createProgram(
    ENTRIES.map((entry) => resolve(root, entry)),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
    },
  );
  const checker = program.getTypeChecker();
  const seen = new Set<ts.Node>();
  const missing: string[] = [];
  let total = 0;
  const hasDoc = (node: ts.Node): boolean => ts.getJSDocCommentsAndTags(node).length > 0;
  const check = (node: ts.Node, name: string): void => {
    if (seen.has(node)) return;
    seen.add(node);
    total += 1;
    if (!hasDoc(node)) missing.push(name);
  };
  const checkMembers = (members: ts.NodeArray<ts.TypeElement | ts.ClassElement>, owner: string): void => {
    for (const member of members) {
      if (ts.isConstructorDeclaration(member) || ts.isIndexSignatureDeclaration(member)) continue;
      const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) : undefined;
      if (modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.PrivateKeyword || modifier.kind === ts.SyntaxKind.ProtectedKeyword))
        continue;
      const memberName = member.name && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)) ? member.name.text : undefined;
      if (memberName === undefined) continue;
      check(member, `${owner}.${memberName}`);
    }
  };
  for (const entry of ENTRIES) {
    const file = program.getSourceFile(resolve(root, entry));
    if (!file) throw new Error(`no source file for ${entry}`);
    const moduleSymbol = checker.getSymbolAtLocation(file);
    // An entry that does not resolve to a module must fail loudly, not drop its exports from the count.
    if (!moduleSymbol) throw new Error(`${entry} is not a module (no exports found)`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const declaration of symbol.declarations ?? []) {
        const name = `${entry.replace(/^src\//, '').replace(/\/?index\.ts$/, '') || 'novita-reconciler'}: ${exported.name}`;
        const node = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
        check(node, name);
        if (ts.isInterfaceDeclaration(declaration) || ts.isClassDeclaration(declaration)) checkMembers(declaration.members, name);
        if (ts.isTypeAliasDeclaration(declaration) && ts.isTypeLiteralNode(declaration.type)) checkMembers(declaration.type.members, name);
      }
    }
  }
  return { documented: total - missing.length, total, missing };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { documented, total, missing } = docCoverage();
  console.log(`${documented} of ${total} exported members documented (${((100 * documented) / total).toFixed(1)}%)`);
  for (const name of missing) console.log(`  missing: ${name}`);
}
