// devwiki as a process (`npm run devwiki`) and its consumers file; and its signature code checked
// against every recorded signature it can reproduce.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { ConsumersFileError, validateConsumers } from '../../devwiki/consumers';
import {
  formPairs,
  hmacSha1,
  oauthParam,
  parseAuthorizationHeader,
  signatureBaseString,
} from '../../devwiki/oauth1';
import { environment, loadFixture, oauth1FixtureNames } from '../support/fixtures';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const cli = join(root, 'devwiki', 'cli.ts');

describe('the consumers file', () => {
  it('should name every problem at once, without echoing secrets', () => {
    const bad = [
      {
        name: 'ok',
        key: 'a',
        secret: 'TOPSECRET',
        callbackUrl: 'http://x/cb',
        callbackIsPrefix: true,
        grants: ['basic'],
        ownerOnly: false,
      },
      {
        name: '',
        key: 'a',
        secret: 'TOPSECRET',
        callbackUrl: 'not a url',
        callbackIsPrefix: 'yes',
        grants: ['basic', 'fly'],
        ownerOnly: true,
      },
      7,
    ];
    let error: unknown = null;
    try {
      validateConsumers(bad, 'consumers.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConsumersFileError);
    const problems = error instanceof ConsumersFileError ? error.problems : [];
    expect(problems).toEqual([
      'consumer 2: "name" must be a non-empty string',
      'consumer 2: "callbackIsPrefix" must be true or false',
      'consumer 2: "callbackUrl" must be an absolute URL such as http://localhost:3000/api/mwoauth/callback',
      'consumer 2: unknown grant(s) fly; known: basic, highvolume, editpage, editprotected, createeditmovepage, protect, blockusers, privateinfo, viewmywatchlist, editviewmywatchlist, mwoauth-authonly, mwoauth-authonlyprivate',
      'consumer 2: an owner-only consumer needs "owner" (a user name) and "accessToken" ({key, secret})',
      'consumer 3: must be an object',
      'two consumers share the same key: a',
    ]);
    expect(String(error)).not.toContain('TOPSECRET');
  });

  it('should assign ids to consumers that have none, avoiding the ones given', () => {
    const base = {
      secret: 's',
      callbackUrl: 'http://x/cb',
      callbackIsPrefix: false,
      grants: ['basic'],
      ownerOnly: false,
    };
    const consumers = validateConsumers(
      [
        { ...base, name: 'a', key: 'ka' },
        { ...base, name: 'b', key: 'kb', id: 1 },
      ],
      'f',
    );
    expect(consumers.map((c) => c.id)).toEqual([2, 1]);
  });
});

describe('the consumers file with OAuth 2.0 clients', () => {
  const base = {
    name: 'c',
    secret: 's',
    callbackUrl: 'http://x/cb',
    callbackIsPrefix: false,
    grants: ['basic'],
    ownerOnly: false,
  };

  it('should take confidential, public and owner-only 2.0 clients', () => {
    const consumers = validateConsumers(
      [
        { ...base, key: 'k1', oauthVersion: '2.0' },
        { ...base, key: 'k2', oauthVersion: '2.0', confidential: false },
        { ...base, key: 'k3', oauthVersion: '2.0', ownerOnly: true, owner: 'Admin', callbackUrl: '' },
        { ...base, key: 'k4', oauthVersion: '1.0a' },
      ],
      'f',
    );
    expect(consumers.map((c) => [c.key, c.oauthVersion, c.confidential])).toEqual([
      ['k1', '2.0', undefined],
      ['k2', '2.0', false],
      ['k3', '2.0', undefined],
      ['k4', '1.0a', undefined],
    ]);
  });

  it('should name what is wrong with a 2.0 client', () => {
    let error: unknown = null;
    try {
      validateConsumers(
        [
          { ...base, key: 'a', oauthVersion: '3' },
          { ...base, key: 'b', confidential: false },
          { ...base, key: 'c', oauthVersion: '2.0', accessToken: { key: 'x', secret: 'y' } },
          { ...base, key: 'd', oauthVersion: '2.0', ownerOnly: true },
          { ...base, key: 'e', oauthVersion: '2.0', ownerOnly: true, owner: 'Admin', confidential: false },
        ],
        'f',
      );
    } catch (e) {
      error = e;
    }
    expect(error instanceof ConsumersFileError ? error.problems : []).toEqual([
      'consumer 1: "oauthVersion" must be "1.0a" or "2.0" (left out: "1.0a")',
      'consumer 2: "confidential" is for OAuth 2.0 clients ("oauthVersion": "2.0")',
      'consumer 3: an OAuth 2.0 client takes no "accessToken": devwiki makes an owner-only one\'s (see the banner)',
      'consumer 4: an owner-only OAuth 2.0 client needs "owner" (a user name)',
      'consumer 5: an owner-only OAuth 2.0 client must be confidential (it uses its secret)',
    ]);
  });
});

describe('npm run devwiki', () => {
  it.each([
    ['--access-token-ttl', '0'],
    ['--refresh-token-ttl', 'soon'],
  ])('should exit 2 naming %s when it is not a whole number of seconds', (flag, value) => {
    const r = spawnSync(tsx, [cli, '--port', '0', flag, value], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`devwiki: ${flag} must be a whole number of seconds from 1, not "${value}"`);
  });

  it("should print the 2.0 clients and the owner-only client's ready token, and use --access-token-ttl", async () => {
    const child = spawn(tsx, [cli, '--port', '0', '--quiet', '--access-token-ttl', '7'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines: string[] = [];
    let rest = '';
    let token = '';
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      rest = /rest\.php: +(\S+)/.exec(line)?.[1] ?? rest;
      token = /access token \(never expires\): (\S+)/.exec(line)?.[1] ?? token;
      if (token !== '') break;
    }
    const text = lines.join('\n');
    expect(text).toContain('client id:     dec0dedec0dedec0dedec0de00000004');
    expect(text).toContain('OAuth 2.0, public (PKCE)');
    const profile = await fetch(`${rest}/oauth2/resource/profile`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({ username: 'Admin' });
    const cc = await fetch(`${rest}/oauth2/access_token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'dec0dedec0dedec0dedec0de00000006',
        client_secret: 'dec0dedec0dedec0dedec0dedec0dedec0de0006',
      }).toString(),
    });
    expect(await cc.json()).toMatchObject({ token_type: 'Bearer', expires_in: 7 });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('should exit 2 with one message naming every problem of a bad --consumers file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devwiki-'));
    const file = join(dir, 'consumers.json');
    writeFileSync(file, JSON.stringify([{ name: 'x', key: '', grants: 'basic', ownerOnly: false }]));
    const r = spawnSync(tsx, [cli, '--port', '0', '--consumers', file], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`devwiki: ${file} is not a valid consumers file:`);
    expect(r.stderr).toContain('"key" must be a non-empty string');
    expect(r.stderr).toContain('"grants" must be a list of grant names');
    expect(r.stderr).toContain('"callbackIsPrefix" must be true or false');
  });

  it.each([
    ['an unknown endpoint', 'nowhere=html', 'unknown endpoint "nowhere"'],
    ['an unknown kind', 'api=explode', 'unknown fault "explode"'],
    ['no "="', 'api', 'endpoint=kind'],
    ['a status that is not an HTTP error', 'api=status:200', 'status'],
    ['huge without a size', 'api=huge', 'huge'],
    ['latency that is not a number', 'api=latency:soon', 'latency'],
    ['an argument where none is taken', 'api=html:1', 'html'],
  ])('should exit 2 naming the problem and the forms of --fault for %s', (_what, spec, expected) => {
    const r = spawnSync(tsx, [cli, '--port', '0', '--fault', spec], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--fault ${spec}`);
    expect(r.stderr).toContain(expected);
    expect(r.stderr).toContain('status:CODE');
  });

  it('should apply each --fault to its endpoint (repeatable), leaving the others alone', async () => {
    const child = spawn(
      tsx,
      [
        cli,
        '--port',
        '0',
        '--quiet',
        '--fault',
        'initiate=status:502',
        '--fault',
        'api=html',
        '--fault',
        'token=latency:50',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let index = '';
    let api = '';
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      index = /index\.php: (\S+)/.exec(line)?.[1] ?? index;
      api = /api\.php: +(\S+)/.exec(line)?.[1] ?? api;
      if (line.startsWith('faults:')) break;
    }
    // The banner says which faults are on, so nobody mistakes them for a broken app.
    expect(lines.join('\n')).toContain('faults: initiate=status:502, api=html, token=latency:50');
    const initiate = await fetch(`${index}?title=Special:OAuth/initiate`, { method: 'POST' });
    expect(initiate.status).toBe(502);
    await initiate.text();
    const query = await fetch(`${api}?action=query&meta=tokens&format=json`);
    expect(query.status).toBe(200);
    expect(query.headers.get('content-type')).toContain('text/html');
    await query.text();
    // An endpoint without a fault answers as usual.
    const home = await fetch(index);
    expect(home.status).toBe(200);
    await home.text();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('should serve on 127.0.0.1, print its URLs and consumers, and stop cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devwiki-'));
    const file = join(dir, 'consumers.json');
    const mine = {
      name: 'My tool',
      key: 'mykey',
      secret: 'mysecret',
      callbackUrl: 'http://localhost:5000/cb',
      callbackIsPrefix: true,
      grants: ['basic'],
      ownerOnly: false,
    };
    writeFileSync(file, JSON.stringify([mine]));
    const child = spawn(tsx, [cli, '--port', '0', '--consumers', file, '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines: string[] = [];
    let index = '';
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      const m = /index\.php: (http:\/\/127\.0\.0\.1:\d+\/w\/index\.php)/.exec(line);
      if (m?.[1] !== undefined) index = m[1];
      if (line.startsWith('      grants:')) break;
    }
    const text = lines.join('\n');
    expect(text).toContain('api.php:   http://127.0.0.1:');
    expect(text).toContain('Special:UserLogin');
    expect(text).toContain('key:    mykey');
    expect(text).toContain('secret: mysecret');
    const page = await fetch(index);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('My tool');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('npm run devwiki -- --other-wikis N', () => {
  it('should serve a farm: each wiki on its own port, listed in the banner with MW_WIKIS', async () => {
    const child = spawn(tsx, [cli, '--port', '0', '--other-wikis', '2', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let wikis = '';
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('MW_WIKIS=')) {
        wikis = line.slice('MW_WIKIS='.length);
        break;
      }
    }
    const urls = wikis.split(',');
    expect(urls).toHaveLength(2);
    for (const url of urls) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/w\/api\.php$/);
      const r = await fetch(`${url}?action=query&meta=userinfo&format=json&formatversion=2`);
      expect(await r.json()).toMatchObject({ query: { userinfo: { anon: true } } });
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('should refuse more other wikis than it serves, with exit status 2', () => {
    const r = spawnSync(tsx, [cli, '--port', '0', '--other-wikis', '10'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--other-wikis must be from 0 to 9');
  });
});

describe("devwiki's signature code", () => {
  it('should reproduce every recorded HMAC-SHA1 signature whose secrets are recorded', () => {
    const consumerSecrets = new Map(
      Object.values(environment.consumers).flatMap((c: unknown) =>
        typeof c === 'object' &&
        c !== null &&
        'key' in c &&
        'secret' in c &&
        typeof c.key === 'string' &&
        typeof c.secret === 'string'
          ? [[c.key, c.secret] as const]
          : [],
      ),
    );
    // Token secrets the recordings reveal: every oauth_token_secret answered, and the owner-only one.
    const tokenSecrets = new Map<string, string>([
      [
        environment.consumers.oauth1_owner_only.access_token ?? '',
        environment.consumers.oauth1_owner_only.access_secret ?? '',
      ],
    ]);
    for (const name of oauth1FixtureNames()) {
      const p = new URLSearchParams(loadFixture(name).response.body);
      const key = p.get('oauth_token');
      const secret = p.get('oauth_token_secret');
      if (key !== null && secret !== null) tokenSecrets.set(key, secret);
    }
    const reproduced: string[] = [];
    const unknownSecret: string[] = [];
    const differs: string[] = [];
    for (const name of oauth1FixtureNames()) {
      const f = loadFixture(name);
      const url = new URL(f.request.url);
      const auth = Object.entries(f.request.headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
      const type =
        Object.entries(f.request.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
      const src = {
        method: f.request.method,
        path: url.pathname,
        query: formPairs(url.search.slice(1)),
        body:
          f.request.method === 'POST' && type.startsWith('application/x-www-form-urlencoded')
            ? formPairs(f.request.body ?? '')
            : [],
        header: parseAuthorizationHeader(auth),
      };
      const signature = oauthParam(src, 'oauth_signature');
      if (signature === null || oauthParam(src, 'oauth_signature_method') !== 'HMAC-SHA1') continue;
      const consumerSecret = consumerSecrets.get(oauthParam(src, 'oauth_consumer_key') ?? '');
      const token = oauthParam(src, 'oauth_token');
      const tokenSecret = token === null ? '' : tokenSecrets.get(token);
      if (consumerSecret === undefined || tokenSecret === undefined) {
        unknownSecret.push(name);
        continue;
      }
      const ok =
        hmacSha1(signatureBaseString(src, environment.server), consumerSecret, tokenSecret) === signature;
      (ok ? reproduced : differs).push(name);
    }
    // The ones that differ were signed wrong on purpose: wrong secrets, or for another host (fixture 20).
    expect(differs).toEqual([
      '12-identify-wrong-access-secret',
      '15-api-wrong-access-secret',
      '16-api-wrong-consumer-secret',
      '20-identify-signed-for-other-host',
      '22-initiate-bad-signature',
      '26b-initiate-bad-signature-format-json',
    ]);
    expect(reproduced).toHaveLength(31);
    // Unknown consumers and tokens, and request tokens whose secrets no recorded answer shows.
    expect(unknownSecret).toEqual([
      '13-identify-unknown-access-token',
      '14-api-unknown-access-token',
      '21-initiate-unknown-consumer',
      '29-token-wrong-verifier',
      '29b-token-correct-verifier-after-wrong-one',
      '29c-token-unknown-request-token',
      '29d-token-request-token-not-authorized',
      '29e-token-wrong-request-token-secret',
      '30b-token-after-cancel',
    ]);
  });
});
