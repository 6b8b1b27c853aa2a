// npm run bench [-- --smoke] [-- --markdown] [-- --only NAME[,NAME]]: runs every section (or the named
// ones: handlers, latency, bytes, footprint, micro, redis, wikimedia, farm) (BENCHMARKS.md says what each
// measures) and prints one table: section, row, value, budget, verdict; then the notes and the
// machine. A missed budget is reported, not fatal (these machines are noisy): the exit status is
// non-zero only when a section breaks, so CI's smoke (--smoke: every section, briefly) catches rot.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { cpuModel } from './proc';
import type { BenchOptions, Section } from './report';

interface SectionModule {
  run(options: BenchOptions): Promise<Section>;
}

/** Every section, in the order BENCHMARKS.md shows them. */
const SECTIONS: ReadonlyArray<{ name: string; load: () => Promise<SectionModule> }> = [
  { name: 'handlers', load: () => import('./handlers') },
  { name: 'latency', load: () => import('./latency') },
  { name: 'bytes', load: () => import('./bytes') },
  { name: 'footprint', load: () => import('./footprint') },
  { name: 'micro', load: () => import('./micro') },
  { name: 'redis', load: () => import('./redis') },
  { name: 'wikimedia', load: () => import('./wikimedia') },
  { name: 'farm', load: () => import('./farm') },
];

function versionOf(pkg: string): string {
  const text = readFileSync(join(__dirname, '..', 'node_modules', pkg, 'package.json'), 'utf8');
  const parsed: unknown = JSON.parse(text);
  const version = typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'version') : null;
  return typeof version === 'string' ? version : 'unknown';
}

function machine(): string[] {
  return [
    `CPU: ${cpuModel()}, ${cpus().length} cores (load average at start ${loadavg()[0]?.toFixed(2)})`,
    `Node ${process.version}, Next ${versionOf('next')}, React ${versionOf('react')}, iron-session ${versionOf('iron-session')}, jose ${versionOf('jose')}, oauth-1.0a ${versionOf('oauth-1.0a')}`,
  ];
}

const HEADER = ['section', 'row', 'value', 'budget', 'verdict'];

function cells(section: Section): string[][] {
  return section.rows.map((row) => [section.title, row.name, row.value, row.budget ?? '', row.verdict ?? '']);
}

function markdownTable(sections: readonly Section[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  const lines = [`| ${HEADER.join(' | ')} |`, `| ${HEADER.map(() => '---').join(' | ')} |`];
  for (const section of sections)
    for (const row of cells(section)) lines.push(`| ${row.map(escape).join(' | ')} |`);
  return lines.join('\n');
}

function textTable(sections: readonly Section[]): string {
  const rows = [HEADER, ...sections.flatMap(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function notes(sections: readonly Section[], markdown: boolean): string {
  return sections
    .map((s) => [markdown ? `**${s.title}**` : `${s.title}:`, ...s.notes.map((n) => `- ${n}`)].join('\n'))
    .join('\n\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt === -1 ? null : (args[onlyAt + 1] ?? '').split(',').filter((n) => n !== '');
  const unknown = args.filter(
    (a, i) => a !== '--smoke' && a !== '--markdown' && i !== onlyAt && i !== onlyAt + 1,
  );
  const names = SECTIONS.map((s) => s.name);
  const unknownSections = (only ?? []).filter((n) => !names.includes(n));
  if (unknown.length > 0 || unknownSections.length > 0 || (only !== null && only.length === 0)) {
    console.error(
      `Unknown argument(s): ${[...unknown, ...unknownSections].join(' ') || '--only without a section'}. ` +
        `Use --smoke (every section, briefly), --markdown, and --only with one or more of ${names.join(', ')} (comma-separated).`,
    );
    return 2;
  }
  const options: BenchOptions = { smoke: args.includes('--smoke') };
  const markdown = args.includes('--markdown');
  const about = machine();
  const done: Section[] = [];
  const broken: string[] = [];
  for (const { name, load } of SECTIONS.filter((s) => only === null || only.includes(s.name))) {
    const start = performance.now();
    console.error(`bench: ${name}${options.smoke ? ' (smoke)' : ''}…`);
    try {
      done.push(await (await load()).run(options));
      console.error(`bench: ${name} done in ${((performance.now() - start) / 1000).toFixed(0)} s`);
    } catch (error) {
      broken.push(name);
      console.error(
        `bench: ${name} FAILED:`,
        error instanceof Error ? (error.stack ?? error.message) : error,
      );
    }
  }
  const out = markdown
    ? [markdownTable(done), notes(done, true), `Machine: ${about.join('; ')}.`]
    : [textTable(done), notes(done, false), about.join('\n')];
  if (options.smoke)
    out.unshift('SMOKE RUN: few requests per row; the figures only show that every section works.');
  if (broken.length > 0) out.push(`FAILED sections: ${broken.join(', ')}`);
  console.log(out.join('\n\n'));
  return broken.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
