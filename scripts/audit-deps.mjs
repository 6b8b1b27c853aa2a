// `npm run audit:deps`: npm audit of what ships (dependencies, not devDependencies), SECURITY.md
// "Dependencies". Prints one figure line. Exit 0: no high or critical advisory; 1: some; 2: not
// measured, because the registry did not serve its audit endpoint (some mirrors answer 405), which
// .ci/run reports without failing: a mirror's gap is not a vulnerability, but it is said out loud.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 90_000 });
let report = null;
try {
  report = JSON.parse(run.stdout);
} catch {
  report = null;
}
const counts = report?.metadata?.vulnerabilities;
if (report === null || typeof report !== 'object' || report.error || typeof counts !== 'object') {
  const said = String(report?.message || report?.error?.summary || run.stderr || run.error || '')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('npm warn'))
    .join(' ')
    .slice(0, 300);
  console.log(
    `[security] npm audit --omit=dev: NOT MEASURED: the registry did not answer the audit endpoint (${said || `exit ${run.status}`}). ` +
      'Run `npm run audit:deps` where registry.npmjs.org/-/npm/v1/security/advisories/bulk is reachable.',
  );
  process.exit(2);
}
const n = (level) => (typeof counts[level] === 'number' ? counts[level] : 0);
console.log(
  `[security] npm audit --omit=dev: ${n('critical')} critical, ${n('high')} high, ${n('moderate')} moderate, ${n('low')} low`,
);
process.exit(n('critical') + n('high') > 0 ? 1 : 0);
