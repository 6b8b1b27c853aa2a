// The Node side of section 5 (bench/micro.ts runs it): µs per operation of what the app does on
// each request, read from stdin as one JSON case, answered as one JSON line on stdout. A process of
// its own: a clean heap, and the react-server condition, under which lib/server's `server-only`
// guard is the empty module Next gives server code (`node --conditions=react-server`).
import { createSecretKey } from 'node:crypto';
import { jwtVerify } from 'jose';
import { generateNonce, signRequest, verifyIdentityJwt } from 'mwoauth';
import { passwordIdFor, type SessionConfig } from '@/lib/server/config';
import type { NewLogin } from '@/lib/server/login/credentials';
import { cookieStore, LOGIN_CACHE_SIZE } from '@/lib/server/session/cookie-store';
import { measure, type MicroCase, type MicroPlan, type MicroResult } from './micro-protocol';

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  const { plan, input }: { plan: MicroPlan; input: MicroCase } = JSON.parse(Buffer.concat(chunks).toString());
  const { sign, jwt, session } = input;

  const config: SessionConfig = {
    passwords: { [passwordIdFor(session.secret)]: session.secret },
    currentPasswordId: passwordIdFor(session.secret),
  };
  const store = cookieStore(config);
  let sealed = '';
  const writer = {
    set(_name: string, value: string): void {
      sealed = value;
    },
  };
  const login: NewLogin = {
    sub: session.sub,
    username: session.username,
    credentials: { protocol: '1.0a', accessToken: sign.token },
  };
  const loggedOut = await store.open({ get: () => undefined });
  // The cookie store remembers what it unsealed, keyed by the exact seal (an LRU of LOGIN_CACHE_SIZE):
  // read in turn, twice as many distinct seals of the same login (each seal has its own salt and IV)
  // make every read a miss, i.e. a real unseal; the same seal read again is a hit.
  const seals: string[] = [];
  for (let i = 0; i < 2 * LOGIN_CACHE_SIZE; i++) {
    await store.create(loggedOut, writer, login);
    seals.push(sealed);
  }
  let turn = 0;
  const missReader = { get: () => ({ value: seals[turn++ % seals.length] ?? '' }) };
  const hitReader = { get: () => ({ value: sealed }) };
  // Each operation must do its real work: a failure here would time an error path.
  if (new Set(seals).size !== seals.length) throw new Error('two seals are the same');
  if ((await store.open(hitReader)).login === null) throw new Error('the seal does not unseal');
  const rawKey = createSecretKey(Buffer.from(jwt.consumerSecret));
  const verifyOptions = {
    consumerKey: jwt.consumerKey,
    consumerSecret: jwt.consumerSecret,
    issuer: jwt.issuer,
    nonce: jwt.nonce,
    now: (): number => jwt.nowMs,
  };
  await verifyIdentityJwt(jwt.token, verifyOptions);

  const result: MicroResult = {
    runtime: `Node.js ${process.version}`,
    ops: {
      sign: await measure(plan, () => {
        signRequest({
          method: sign.method,
          url: sign.url,
          consumer: sign.consumer,
          token: sign.token,
          nonce: generateNonce(),
          timestamp: Math.floor(Date.now() / 1000),
        });
      }),
      verify: await measure(plan, () => verifyIdentityJwt(jwt.token, verifyOptions)),
      verifyRaw: await measure(plan, () =>
        jwtVerify(jwt.token, rawKey, {
          algorithms: ['HS256'],
          audience: jwt.consumerKey,
          issuer: jwt.issuer,
          currentDate: new Date(jwt.nowMs),
        }),
      ),
      seal: await measure(plan, () => store.create(loggedOut, writer, login)),
      unseal: await measure(plan, () => store.open(missReader)),
      unsealCached: await measure(plan, () => store.open(hitReader)),
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
