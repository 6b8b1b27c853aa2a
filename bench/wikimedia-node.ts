// The Node side of the wikimedia section (bench/wikimedia.ts runs it with the react-server
// condition, as bench/redis-node.ts is run): against an in-process devwiki in its Wikimedia-like
// mode, the login cookie's bytes with a production-sized sessionJwt, the CPU the per-login wiki
// cookie jar adds to a page request, and the wiki requests one login makes in each protocol.
// Answers one JSON line on stdout.
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { passwordIdFor, readConfig, type SessionConfig } from '@/lib/server/config';
import type { LoginFlow } from '@/lib/server/login/flow';
import { oauth1Flow } from '@/lib/server/login/oauth1';
import { oauth2Flow } from '@/lib/server/login/oauth2';
import { cookieStore } from '@/lib/server/session/cookie-store';
import { LOGIN_COOKIE, LOGIN_TTL_S } from '@/lib/server/session/store';
import { WikiDeadline } from '@/lib/server/wiki/deadline';
import { LoginJar, type WikiCookies } from '@/lib/server/wiki/cookies';
import { productionSizedSessionJwt } from '@/tests/support/session-jwt';
import { measure, type MicroPlan, type OpFigure } from './micro-protocol';

export interface WikimediaNodeResult {
  /** The login cookie's Set-Cookie header, every attribute, with a production-sized sessionJwt. */
  readonly cookieHeaderBytes: number;
  readonly sessionJwtChars: number;
  /** The jar's own work in one page request: open, Cookie header, the answer's Set-Cookie, changed(). */
  readonly jarPerRequest: OpFigure;
  /** One api.php userinfo call (in-process devwiki included), with and without the jar. */
  readonly callWithJar: OpFigure;
  readonly callWithoutJar: OpFigure;
  /** Wiki requests between initiate and the login's end, the browser's own left out. */
  readonly requestsPerLogin: { readonly oauth1: number; readonly oauth2: number };
}

const USER_AGENT = 'next-mwoauth-bench/1.0 (bench/wikimedia-node.ts; nobody@example.org)';
const CALLBACK = 'http://localhost:3000/api/mwoauth/callback';

function flowFor(devwiki: Devwiki, consumer: DevwikiConsumer): LoginFlow {
  const config = readConfig({
    MW_OAUTH_VERSION: consumer.oauthVersion === '2.0' ? '2.0' : '1.0a',
    MW_INDEX_URL: devwiki.indexUrl,
    MW_CONSUMER_KEY: consumer.key,
    MW_CONSUMER_SECRET: consumer.secret,
    MW_CALLBACK: CALLBACK,
    SESSION_SECRET: 'bench-wikimedia-secret-0123456789abcdef',
    USER_AGENT,
    APP_URL: 'http://localhost:3000',
  });
  return config.protocol === '2.0' ? oauth2Flow(config) : oauth1Flow(config);
}

/** One whole login through the app's flow; the wiki requests it made (authorize and Allow are the browser's). */
async function requestsOfOneLogin(devwiki: Devwiki, flow: LoginFlow): Promise<number> {
  const before = devwiki.requests.length;
  const started = await flow.start(new WikiDeadline(10_000), 'en');
  const browserFrom = devwiki.requests.length;
  const back = new URL(await devwiki.approve(started.authorizeUrl, 'Alice'));
  const browserTo = devwiki.requests.length;
  await flow.finish(started.handshake, back.searchParams, new WikiDeadline(10_000));
  return devwiki.requests.length - before - (browserTo - browserFrom);
}

async function main(): Promise<void> {
  const plan: MicroPlan = JSON.parse(process.env.BENCH_PLAN ?? '{}');
  const devwiki = await startDevwiki({ wikimedia: true });
  try {
    const [app1, , , app2] = devwiki.consumers;
    if (app1 === undefined || app2 === undefined) throw new Error('devwiki has no default consumers');

    // 1. The login cookie with a production-sized sessionJwt, as the cookie store writes it.
    const secret = 'bench-wikimedia-secret-0123456789abcdef';
    const session: SessionConfig = {
      passwords: { [passwordIdFor(secret)]: secret },
      currentPasswordId: passwordIdFor(secret),
    };
    const jwt = productionSizedSessionJwt();
    const cookie: WikiCookies = {
      at: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 4 * 3600,
      list: [
        [
          'https://meta.wikimedia.org/',
          `sessionJwt=${jwt}; Expires=${new Date(Date.now() + 4 * 3600_000).toUTCString()}; Path=/; Secure; HttpOnly`,
        ],
      ],
    };
    const store = cookieStore(session);
    let sealed = '';
    const writer = {
      set: (name: string, value: string): void => void (name === LOGIN_COOKIE && (sealed = value)),
    };
    await store.create(await store.open({ get: () => undefined }), writer, {
      sub: '123456789',
      username: 'A typical user name',
      credentials: { protocol: '1.0a', accessToken: { key: 'b'.repeat(32), secret: 'c'.repeat(40) } },
    });
    const opened = await store.open({ get: () => ({ value: sealed }) });
    if (opened.login === null) throw new Error('the login did not unseal');
    await opened.save(writer, opened.login.credentials, cookie);
    const expires = new Date(Date.now() + (LOGIN_TTL_S - 60) * 1000).toUTCString();
    const header = `${LOGIN_COOKIE}=${sealed}; Path=/; Expires=${expires}; Max-Age=${LOGIN_TTL_S - 60}; Secure; HttpOnly; SameSite=lax`;

    // 2. The jar's own cost in a request, and one api.php call with and without it.
    const flow1 = flowFor(devwiki, app1);
    const started = await flow1.start(new WikiDeadline(10_000));
    const back = new URL(await devwiki.approve(started.authorizeUrl, 'Alice'));
    const login = await flow1.finish(started.handshake, back.searchParams, new WikiDeadline(10_000));
    if (login === 'suppressed') throw new Error('suppressed');
    const primed = await LoginJar.open(null);
    await flow1
      .api(login.credentials, new WikiDeadline(10_000), primed.jar)
      .get({ action: 'query', meta: 'userinfo' });
    const stored = await primed.snapshot();
    const apiUrl = devwiki.apiUrl;
    const setCookie = `sessionJwt=${jwt}; expires=${new Date(Date.now() + 4 * 3600_000).toUTCString()}; Max-Age=14400; path=/; HttpOnly`;
    const jarPerRequest = await measure(plan, async () => {
      const jar = await LoginJar.open({ ...cookie, list: stored.list });
      await jar.jar.getCookieString(apiUrl);
      await jar.jar.setCookie(setCookie, apiUrl);
      await jar.changed();
    });
    const deadline = (): WikiDeadline => new WikiDeadline(10_000);
    const callWithJar = await measure(plan, async () => {
      const jar = await LoginJar.open(stored);
      await flow1.api(login.credentials, deadline(), jar.jar).get({ action: 'query', meta: 'userinfo' });
      await jar.changed();
    });
    const callWithoutJar = await measure(plan, async () => {
      await flow1.api(login.credentials, deadline(), null).get({ action: 'query', meta: 'userinfo' });
    });

    // 3. Wiki requests per login, each protocol.
    const oauth1 = await requestsOfOneLogin(devwiki, flow1);
    const oauth2 = await requestsOfOneLogin(devwiki, flowFor(devwiki, app2));

    const result: WikimediaNodeResult = {
      cookieHeaderBytes: Buffer.byteLength(header),
      sessionJwtChars: jwt.length,
      jarPerRequest,
      callWithJar,
      callWithoutJar,
      requestsPerLogin: { oauth1, oauth2 },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await devwiki.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
