// Interop with Python's reference client: Debian's python3-mwoauth (the client the fixtures were
// recorded with) does a whole handshake, identify and a signed userinfo request against devwiki.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConsumers, startDevwiki, type Devwiki } from '../../devwiki';

/** The system Python, where apt installs python3-mwoauth (not a pyenv python3 that may be on PATH). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, 'python', 'handshake.py');

let wiki: Devwiki | null = null;
afterEach(async () => {
  await wiki?.close();
  wiki = null;
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

describe("Python's mwoauth against devwiki", () => {
  it('should have python3-mwoauth installed for /usr/bin/python3', () => {
    const probe = spawnSync(PYTHON, ['-c', 'import mwoauth, requests_oauthlib, jwt'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      throw new Error(
        `${PYTHON} cannot import mwoauth (${(probe.error?.message ?? probe.stderr).trim()}). ` +
          'Install the reference client: sudo apt-get install -y python3-mwoauth',
      );
    }
  });

  it('should initiate, complete, identify and make a signed userinfo request', async () => {
    wiki = await startDevwiki();
    const w = wiki;
    const app = defaultConsumers()[0];
    if (app === undefined) throw new Error('no default consumer');
    const child = spawn(PYTHON, [SCRIPT, w.indexUrl, w.apiUrl, app.key, app.secret], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const steps = new Map<string, Record<string, unknown>>();
    const timer = setTimeout(() => child.kill(), 20_000);
    try {
      for await (const line of createInterface({ input: child.stdout })) {
        const parsed: unknown = JSON.parse(line);
        if (!isRecord(parsed) || typeof parsed.step !== 'string')
          throw new Error(`unexpected output: ${line}`);
        steps.set(parsed.step, parsed);
        if (parsed.step === 'initiate' && typeof parsed.redirect === 'string') {
          child.stdin.write(`${await w.approve(parsed.redirect, 'Alice')}\n`);
        }
      }
      const code = await exited;
      expect(code, `python failed:\n${stderr}`).toBe(0);
    } finally {
      clearTimeout(timer);
    }
    expect(steps.get('initiate')?.redirect).toMatch(
      /Special%3AOAuth%2Fauthenticate&oauth_token=[0-9a-f]{32}&oauth_consumer_key=/,
    );
    expect(steps.get('complete')?.access_token).toMatch(/^[0-9a-f]{32}$/);
    const identity = steps.get('identify')?.identity;
    expect(identity).toMatchObject({
      iss: w.origin,
      aud: app.key,
      sub: '3',
      username: 'Alice',
      blocked: false,
    });
    const userinfo = steps.get('userinfo');
    expect(userinfo?.status).toBe(200);
    expect(userinfo?.body).toMatchObject({
      query: { userinfo: { id: 3, name: 'Alice', groups: ['*', 'user', 'autoconfirmed'] } },
    });
    expect(w.requests.map((r) => r.endpoint)).toEqual([
      'initiate',
      'login',
      'authorize',
      'authorize',
      'token',
      'identify',
      'api',
    ]);
  });
});
