// The package's public API, recorded: API Extractor (https://api-extractor.com) reads the .d.ts that
// tsc emits for index.ts and writes every export's signature to api/mwoauth.api.md; api/versions.json
// holds, for each released version, the SHA-256 of that report. So a change to the exports shows as
// a diff of the report, and is accepted only with a new version in package.json and its section in
// CHANGELOG.md (tests/unit/mwoauth-api.test.ts).
//
//   node lib/mwoauth/scripts/api-report.mjs           check; exit 1 naming each problem
//   node lib/mwoauth/scripts/api-report.mjs --write   after changing the API and the version: record them
//
// API Extractor ships its own TypeScript compiler (7.60: TypeScript 6.0) to read the declarations;
// the package itself is compiled by the repository's TypeScript.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPORT = join(PACKAGE_DIR, 'api', 'mwoauth.api.md');
export const LEDGER = join(PACKAGE_DIR, 'api', 'versions.json');
const FIX =
  'Give the package a new version in lib/mwoauth/package.json (semver: patch for a fix, minor for an addition, ' +
  'major for a removal or change), describe the change under that version in lib/mwoauth/CHANGELOG.md, then run ' +
  '`npm run api-report -w mwoauth`.';

/** @param {string} text */
export function sha256(text) {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * What is wrong between the version, the recorded report and ledger, and the changelog: an empty list
 * when they agree. `reportChanged`: the source's exports differ from the recorded report.
 * @param {{ version: string, reportChanged: boolean, report: string, ledger: Record<string, string>, changelog: string }} state
 * @returns {string[]}
 */
export function apiProblems({ version, reportChanged, report, ledger, changelog }) {
  const problems = [];
  if (reportChanged) {
    problems.push(
      `The public API of mwoauth differs from lib/mwoauth/api/mwoauth.api.md (version ${version}). ${FIX}`,
    );
  }
  const recorded = ledger[version];
  if (recorded === undefined) {
    problems.push(
      `lib/mwoauth/api/versions.json has no entry for version ${version}. Run \`npm run api-report -w mwoauth\`.`,
    );
  } else if (recorded !== sha256(report)) {
    problems.push(
      `Version ${version} was recorded with another API than lib/mwoauth/api/mwoauth.api.md now holds. ${FIX}`,
    );
  }
  const escaped = version.replace(/[.+]/g, (c) => `\\${c}`);
  if (!new RegExp(`^## \\[${escaped}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm').test(changelog)) {
    problems.push(
      `lib/mwoauth/CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" section (Keep a Changelog): say what changed in ${version}.`,
    );
  }
  return problems;
}

/**
 * Emits the declarations and runs API Extractor on them. `write`: update api/mwoauth.api.md.
 * @param {{ write: boolean }} options
 * @returns {Promise<{ reportChanged: boolean, report: string }>}
 */
export async function extractApi({ write }) {
  const require = createRequire(import.meta.url);
  // Inside the package, so the declarations resolve its dependencies (oauth4webapi's types) as dist/'s do.
  const tmp = mkdtempSync(join(PACKAGE_DIR, '.api-'));
  try {
    const tsc = spawnSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        join(PACKAGE_DIR, 'tsconfig.json'),
        '--emitDeclarationOnly',
        '--outDir',
        join(tmp, 'dts'),
      ],
      { encoding: 'utf8' },
    );
    if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
    const { Extractor, ExtractorConfig } = await import('@microsoft/api-extractor');
    const config = ExtractorConfig.prepare({
      configObject: {
        // The report names files relative to this: dts/…, the same whatever the temporary folder.
        projectFolder: tmp,
        newlineKind: 'lf',
        mainEntryPointFilePath: join(tmp, 'dts', 'index.d.ts'),
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              lib: ['ES2023', 'DOM'],
              types: [],
            },
          },
        },
        apiReport: {
          enabled: true,
          reportFolder: join(PACKAGE_DIR, 'api'),
          reportTempFolder: join(tmp, 'report'),
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: 'warning' } },
          // No release tags (@public, @beta: everything exported is public), no "undocumented".
          extractorMessageReporting: {
            default: { logLevel: 'none', addToApiReportFile: false },
            // A type of the API that index.ts does not export: a caller can use it but not name it.
            'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
      configObjectFullPath: join(PACKAGE_DIR, 'api-extractor.json'),
      packageJsonFullPath: join(PACKAGE_DIR, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: write,
      showVerboseMessages: false,
      messageCallback: (m) => {
        // Its own "You have changed the API signature…" advice names api-extractor's commands, not ours.
        if (m.messageId === 'console-api-report-changed' || m.messageId === 'console-api-report-copied')
          m.handled = true;
      },
    });
    if (result.errorCount > 0) throw new Error(`API Extractor reported ${result.errorCount} errors`);
    return { reportChanged: result.apiReportChanged, report: readFileSync(REPORT, 'utf8') };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** @param {string} file */
function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

async function main() {
  const write = process.argv.includes('--write');
  const { version } = readJson(join(PACKAGE_DIR, 'package.json'));
  const ledger = readJson(LEDGER);
  const changelog = readFileSync(join(PACKAGE_DIR, 'CHANGELOG.md'), 'utf8');
  const { reportChanged, report } = await extractApi({ write });
  if (write) {
    const recorded = ledger[version];
    if (recorded !== undefined && recorded !== sha256(report)) {
      console.error(`mwoauth ${version} is recorded with another API. ${FIX}`);
      process.exit(1);
    }
    ledger[version] = sha256(report);
    writeFileSync(LEDGER, `${JSON.stringify(ledger, null, 2)}\n`);
  }
  const problems = apiProblems({
    version,
    reportChanged: write ? false : reportChanged,
    report,
    ledger,
    changelog,
  });
  for (const problem of problems) console.error(`api-report: ${problem}`);
  if (problems.length > 0) process.exit(1);
  console.log(
    `api-report: mwoauth ${version}: the public API is the recorded one (lib/mwoauth/api/mwoauth.api.md).`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
