// A bench script of its own process (`node --conditions=react-server --import tsx bench/<script>`,
// as the app's server code needs), given `env` beside this process's; its stdout is one JSON answer.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '@/tests/support/e2e-app';

/** Runs `bench/<script>` and returns the JSON it printed; killed after 5 minutes. */
export function runNodeScript<T>(script: string, env: Readonly<Record<string, string>>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=react-server', '--import', 'tsx', join('bench', script)],
      { cwd: ROOT, env: { ...process.env, ...env } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`bench/${script} failed (${code}): ${err.slice(-2000)}`));
      else {
        try {
          resolve(JSON.parse(out) as T);
        } catch {
          reject(new Error(`bench/${script} did not answer JSON: ${out.slice(0, 500)}`));
        }
      }
    });
  });
}
