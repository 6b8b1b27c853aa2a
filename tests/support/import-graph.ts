// The repository's import graph, resolved the way the app resolves it: every `import`, `import type`,
// `export … from`, `import()` and `import('…').T` specifier of a file, resolved by TypeScript's own
// module resolver with tsconfig.json's options (the `@/` and `mwoauth` paths included). Used by
// tests/unit/layout.test.ts; `npx tsx tests/support/import-graph.ts` prints the cycles and the
// largest files.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** The product: what `next build` ships (tests, bench, devwiki, scripts and examples are not). */
export const PRODUCT = ['app/', 'lib/', 'proxy.ts', 'instrumentation.ts', 'next.config.mjs'];

const SOURCE = /\.(ts|tsx|mts|mjs)$/;

/** Tracked source files (git ls-files), repository-relative, `lib/mwoauth/dist` left out. */
export function sourceFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => SOURCE.test(file) && !file.startsWith('lib/mwoauth/dist/'))
    .filter((file) => ts.sys.fileExists(path.join(ROOT, file)));
}

export function isProduct(file: string): boolean {
  return PRODUCT.some((part) => (part.endsWith('/') ? file.startsWith(part) : file === part));
}

function compilerOptions(): ts.CompilerOptions {
  const read = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT).options;
}

/** Every module specifier in `text`, type-only ones included. */
export function specifiers(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export interface Graph {
  /** file → the repository files it imports (node_modules left out). */
  readonly edges: ReadonlyMap<string, readonly string[]>;
  /** file → its line count. */
  readonly lines: ReadonlyMap<string, number>;
}

export function importGraph(files: readonly string[] = sourceFiles()): Graph {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const cache = ts.createModuleResolutionCache(ROOT, (name) => name, options);
  const edges = new Map<string, string[]>();
  const lines = new Map<string, number>();
  for (const file of files) {
    const absolute = path.join(ROOT, file);
    const text = readFileSync(absolute, 'utf8');
    lines.set(file, text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
    const targets = new Set<string>();
    for (const specifier of specifiers(file, text)) {
      const resolved = ts.resolveModuleName(specifier, absolute, options, host, cache).resolvedModule;
      if (resolved === undefined || resolved.isExternalLibraryImport === true) continue;
      const target = path.relative(ROOT, resolved.resolvedFileName).split(path.sep).join('/');
      if (!target.startsWith('..') && !target.startsWith('node_modules/')) targets.add(target);
    }
    edges.set(file, [...targets].sort());
  }
  return { edges, lines };
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) connect(node);
  return found;
}

/** The graph restricted to `keep` (both ends). */
export function within(
  edges: ReadonlyMap<string, readonly string[]>,
  keep: (file: string) => boolean,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [file, targets] of edges) if (keep(file)) out.set(file, targets.filter(keep));
  return out;
}

if (process.argv[1] !== undefined && import.meta.filename === path.resolve(process.argv[1])) {
  const graph = importGraph();
  const product = within(graph.edges, isProduct);
  console.log(`product files: ${product.size}; all source files: ${graph.edges.size}`);
  for (const [label, edges] of [
    ['product', product],
    ['whole repository', graph.edges],
  ] as const) {
    const found = cycles(edges);
    console.log(`cycles (${label}, type imports included): ${found.length}`);
    for (const component of found) console.log(`  ${component.join(' ⇄ ')}`);
  }
  const largest = [...graph.lines].filter(([file]) => isProduct(file)).sort((a, b) => b[1] - a[1]);
  console.log('largest product files:');
  for (const [file, count] of largest.slice(0, 15)) console.log(`  ${String(count).padStart(4)} ${file}`);
}
