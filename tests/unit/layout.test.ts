import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, isProduct, ROOT, sourceFiles, within } from '../support/import-graph';

// The house a newcomer reads (README "Layout", CONTRIBUTING.md): lib/server's root holds only the
// tool author's entry points, the product has no import cycle (type imports included), its files
// stay short, and comments cite only what a reader of the repository can open.

/** lib/server's root: what a tool author imports first. Everything else lives in a folder by concern. */
const ENTRY_POINTS = [
  'auth.ts', // requireUser, getCurrentUser, requireUserForAction, withUser
  'wiki-user.ts', // the WikiUser they hand over
];

const MAX_LINES = 250;

/** Product files allowed over MAX_LINES, and why. */
const LONG_FILES: Record<string, string> = {
  'lib/server/failures/catalogue.ts': 'data: one entry per failure, each with its texts and status',
  'lib/server/session/redis-store.ts':
    'one closure over a connection and its secrets (open, create, save, end, endAll); its refresh lock and Lua scripts are in redis-refresh.ts and redis-scripts.ts',
  'lib/mwoauth/api-client.ts': 'the mwoauth package: one class, the API client and its retry rules',
  'lib/mwoauth/identity.ts': "the mwoauth package: the identify JWT's checks, one per claim",
  'lib/mwoauth/mediawiki-errors.ts': "the mwoauth package: MediaWiki's error keys and their meaning (data)",
  'lib/mwoauth/wire.ts':
    'the mwoauth package: the one HTTP exchange, with node:http or a fetch, under its deadline and body cap',
  'lib/mwoauth/handshake.ts': "the mwoauth package: OAuth 1.0a's three Special:OAuth steps",
};

// Documents that are not in the repository, and trackers its reader cannot see.
const UNREACHABLE = [
  /\bDESIGN\.md\b/,
  /\bSTYLE\.md\b/,
  /\bREVIEW(-\d+)?\.md\b/,
  /\bSECURITY-REVIEW/,
  /\bWIKIMEDIA-2026\b/,
  /\.\.\/shared\//,
  /\bissue \d+/i,
  /\(#\d+\)/,
];

/** Where a comment still cites Next's internals because no test of ours pins the behaviour. */
const NEXT_DIST_ALLOWED = ['lib/server/config/server.ts', 'next.config.mjs'];

/** The comments of a source file (line and block), with their line numbers. */
function comments(text: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  const pattern = /\/\/[^\n]*|\/\*[\s\S]*?\*\//g;
  for (const match of text.matchAll(pattern)) {
    // Not a comment: '//' inside a string or URL (https://…).
    const before = text.slice(text.lastIndexOf('\n', match.index) + 1, match.index);
    if (/['"`][^'"`]*$/.test(before) || before.endsWith(':')) continue;
    found.push({ line: text.slice(0, match.index).split('\n').length, text: match[0] });
  }
  return found;
}

describe('the layout', () => {
  const graph = importGraph();

  it('should have no import cycle in the product, type imports included', () => {
    expect(cycles(within(graph.edges, isProduct))).toEqual([]);
  });

  it("should keep only the tool author's entry points at lib/server's root", () => {
    const root = [...graph.edges.keys()]
      .filter((file) => path.posix.dirname(file) === 'lib/server')
      .map((file) => path.posix.basename(file));
    expect(root.filter((file) => !ENTRY_POINTS.includes(file))).toEqual([]);
  });

  it(`should keep product files under ${MAX_LINES} lines, or say why not`, () => {
    const long = [...graph.lines]
      .filter(([file, lines]) => isProduct(file) && lines > MAX_LINES && LONG_FILES[file] === undefined)
      .map(([file, lines]) => `${file}: ${lines} lines (split it, or add it to LONG_FILES with the reason)`);
    expect(long).toEqual([]);
    // A reason for a file that is short again, or gone, is stale.
    const stale = Object.keys(LONG_FILES).filter((file) => (graph.lines.get(file) ?? 0) <= MAX_LINES);
    expect(stale).toEqual([]);
  });

  it('should cite in comments only what a reader of the repository can open', () => {
    const bad: string[] = [];
    for (const file of sourceFiles()) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const comment of comments(text)) {
        for (const pattern of UNREACHABLE) {
          if (pattern.test(comment.text)) bad.push(`${file}:${comment.line}: ${pattern.source}`);
        }
        if (comment.text.includes('next/dist/') && !NEXT_DIST_ALLOWED.includes(file)) {
          bad.push(`${file}:${comment.line}: next/dist/ (cite the test that pins the behaviour)`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
