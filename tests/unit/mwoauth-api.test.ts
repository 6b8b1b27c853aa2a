// The mwoauth package's public API may change only with a new version and its CHANGELOG section
// (lib/mwoauth/CHANGELOG.md, semver): lib/mwoauth/scripts/api-report.mjs compares API Extractor's
// report of the source's exports with the recorded one (lib/mwoauth/api/mwoauth.api.md) and the
// report's hash with the one recorded for the version (lib/mwoauth/api/versions.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apiProblems,
  extractApi,
  LEDGER,
  PACKAGE_DIR,
  REPORT,
  sha256,
} from '../../lib/mwoauth/scripts/api-report.mjs';

function json(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) throw new Error('not an object');
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

const version = stringRecord(json(join(PACKAGE_DIR, 'package.json'))).version ?? '';
const report = readFileSync(REPORT, 'utf8');
const ledger = stringRecord(json(LEDGER));
const changelog = readFileSync(join(PACKAGE_DIR, 'CHANGELOG.md'), 'utf8');

describe('the mwoauth API check', () => {
  const agreeing = {
    version: '1.2.0',
    reportChanged: false,
    report: 'the API',
    ledger: { '1.1.0': sha256('the old API'), '1.2.0': sha256('the API') },
    changelog: '# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2027-01-31\n\n### Added\n',
  };

  it('should accept a version whose report, recorded hash and CHANGELOG section agree', () => {
    expect(apiProblems(agreeing)).toEqual([]);
  });

  it('should refuse exports that differ from the recorded report', () => {
    expect(apiProblems({ ...agreeing, reportChanged: true })).toHaveLength(1);
  });

  it('should refuse a report re-recorded under the same version (the exports changed, the version did not)', () => {
    expect(apiProblems({ ...agreeing, report: 'the API, changed' })).toHaveLength(1);
  });

  it('should refuse a version with no recorded API', () => {
    expect(
      apiProblems({
        ...agreeing,
        version: '1.3.0',
        changelog: `${agreeing.changelog}## [1.3.0] - 2027-02-01\n`,
      }),
    ).toHaveLength(1);
  });

  it('should refuse a version without its "## [x.y.z] - date" CHANGELOG section', () => {
    expect(
      apiProblems({ ...agreeing, changelog: '## [Unreleased]\n\n## [1.1.0] - 2027-01-01\n' }),
    ).toHaveLength(1);
    expect(apiProblems({ ...agreeing, changelog: '## [1.2.0]\n' })).toHaveLength(1);
    expect(apiProblems({ ...agreeing, changelog: '## [1.2.01] - 2027-01-31\n' })).toHaveLength(1);
  });
});

describe(`mwoauth ${version}`, () => {
  it(
    'should have the public API recorded for its version, and its CHANGELOG section',
    { timeout: 300_000 },
    async () => {
      const extracted = await extractApi({ write: false });
      const problems = apiProblems({
        version,
        reportChanged: extracted.reportChanged,
        report,
        ledger,
        changelog,
      });
      expect(problems).toEqual([]);
    },
  );
});
