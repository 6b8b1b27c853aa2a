// Section 2: the app with a distant wiki (devwiki adding 100 ms to every answer).
// - one wiki round trip: a signed identify (POST + JWT verify) sent by lib/mwoauth from this process;
// - /profile's server time, seen from a client on loopback, as a multiple of that round trip
//   (identify and userinfo go in parallel, so it should be one round trip and a little);
// - the login's wiki requests, counted from devwiki's request log: initiate, token, identify, and
//   (OAuth 1.0a, WIKI_COOKIES on) one api.php call for the wiki's cookies.
// The same with MW_OAUTH_VERSION=2.0 (round trip: the profile with a Bearer token; the login: token,
// profile), and the refresh's cost: a /profile whose access token is due (proxy.ts refreshes it
// first) beside one whose token is not, in server time and in the server's CPU.
import type { Devwiki } from '@/devwiki';
import { fetchProfile, identify } from 'mwoauth';
import { startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { accessTokenFor } from '@/tests/support/app-harness';
import { formatMs, median, ratioVerdict } from './format';
import { LoadGenerator, type LoadRequest } from './load';
import { logIn, loginCookie, preparedCallback } from './login';
import { BENCH_USER_AGENT, oauth2TokensFor, startOAuth2Server } from './oauth2';
import { treeCpuMs } from './proc';
import type { BenchOptions, Row, Section } from './report';

export const WIKI_LATENCY_MS = 100;
export const PROFILE_BUDGET = 1.3;
/**
 * The login's calls to the wiki, as Extension:OAuth's protocol needs them. devwiki here answers as
 * MediaWiki 1.39, which sets no cookie: after the first login's ask for one (the sessionJwt of
 * Wikimedia's wikis), a login does not ask again for 10 minutes (lib/server/wiki/cookie-ask.ts).
 * The wikimedia section counts the fourth request of a wiki that sets one.
 */
const MINIMAL_LOGIN = { initiate: 1, token: 1, identify: 1 } as const;
/** OAuth 2.0's: the authorize URL needs no request (state and PKCE are made locally). */
const MINIMAL_LOGIN_2 = { token: 1, profile: 1 } as const;
/** What a browser (devwiki.approve) asks of the wiki during a login: not the app's requests. */
const BROWSER_ENDPOINTS = new Set(['authorize', 'login', 'page', 'other']);
/**
 * An access-token lifetime under the app's refresh margin (60 s, lib/server/login/credentials.ts):
 * a login made with it is due for a refresh at its first page request.
 */
const DUE_TTL_S = 30;

/** The app's wiki requests during each login (`run` does one), by endpoint, and the callback's time. */
async function countLogins(
  server: string,
  devwiki: Devwiki,
  load: LoadGenerator,
  logins: number,
): Promise<{ counts: Array<Record<string, number>>; callbackTimes: number[] }> {
  const counts: Array<Record<string, number>> = [];
  const callbackTimes: number[] = [];
  for (let i = 0; i < logins; i++) {
    const from = devwiki.requests.length;
    const callback = await preparedCallback(server, devwiki);
    const answer = await load.run(server, [callback], 1);
    const [timing] = answer.timings;
    if (timing?.status !== 303 || !timing.location.endsWith('/profile'))
      throw new Error('the callback did not log in');
    callbackTimes.push(timing.totalMs);
    const count: Record<string, number> = {};
    for (const r of devwiki.requests.slice(from)) {
      if (!BROWSER_ENDPOINTS.has(r.endpoint)) count[r.endpoint] = (count[r.endpoint] ?? 0) + 1;
    }
    counts.push(count);
  }
  return { counts, callbackTimes };
}

/** "token 1/1, profile 1/1", and whether every login made exactly `minimal`'s requests. */
function loginFigure(
  counts: ReadonlyArray<Record<string, number>>,
  minimal: Readonly<Record<string, number>>,
): { value: string; budget: string; met: boolean } {
  const endpoints = [...new Set(counts.flatMap((c) => Object.keys(c)))].sort();
  const value = endpoints.map((e) => `${e} ${counts.map((c) => c[e] ?? 0).join('/')}`).join(', ');
  const met = counts.every(
    (c) =>
      Object.keys(c).length === Object.keys(minimal).length &&
      Object.entries(minimal).every(([e, n]) => c[e] === n),
  );
  const total = Object.values(minimal).reduce((a, b) => a + b, 0);
  const budget = `${Object.entries(minimal)
    .map(([e, n]) => `${e} ${n}`)
    .join(', ')} (${total})`;
  return { value, budget, met };
}

/** `count` /profile requests, each with a login cookie of its own (so each unseals, as a new visitor's). */
async function profileRequests(server: string, devwiki: Devwiki, count: number): Promise<LoadRequest[]> {
  const requests: LoadRequest[] = [];
  for (let i = 0; i < count; i++) {
    requests.push({ path: '/profile', headers: { cookie: (await logIn(server, devwiki)).cookie } });
  }
  return requests;
}

interface Measured {
  /** Median server time, last byte. */
  totalMs: number;
  /** The server's CPU per request (its process tree's utime + stime over the requests). */
  cpuMs: number;
  /** Refresh requests devwiki saw while they were answered. */
  refreshes: number;
  /** How many answers set the login cookie (a refreshed session is saved). */
  setCookies: number;
}

async function measureProfiles(
  app: E2EServer,
  load: LoadGenerator,
  requests: readonly LoadRequest[],
): Promise<Measured> {
  const server = app.origin.replace('localhost', '127.0.0.1');
  const from = app.devwiki.requests.length;
  const before = treeCpuMs(app.pid);
  const answer = await load.run(server, [...requests], 1);
  const cpuMs = (treeCpuMs(app.pid) - before) / requests.length;
  if (answer.timings.some((t) => t.status !== 200)) {
    throw new Error(`/profile did not answer 200 (${answer.timings.map((t) => t.status).join(', ')})`);
  }
  const refreshes = app.devwiki.requests
    .slice(from)
    .filter((r) => r.endpoint === 'token' && r.grantType === 'refresh_token').length;
  const setCookies = answer.timings.filter((t) => t.setCookies.includes('mwoauth_session')).length;
  return { totalMs: median(answer.timings.map((t) => t.totalMs)), cpuMs, refreshes, setCookies };
}

/** The OAuth 2.0 rows: round trip, /profile, the login's requests, the callback, the refresh's cost. */
async function oauth2Rows(samples: number, logins: number, load: LoadGenerator): Promise<Row[]> {
  const app = await startOAuth2Server({ latencyMs: WIKI_LATENCY_MS, refreshTokenTtlS: 3600 });
  try {
    const server = app.origin.replace('localhost', '127.0.0.1');
    const { devwiki } = app;

    const tokens = await oauth2TokensFor(app, devwiki);
    const roundTrips: number[] = [];
    for (let i = 0; i < samples + 1; i++) {
      const start = performance.now();
      await fetchProfile(devwiki.indexUrl, tokens.accessToken, { userAgent: BENCH_USER_AGENT });
      if (i > 0) roundTrips.push(performance.now() - start);
    }
    const roundTrip = median(roundTrips);

    const cookie = await loginCookie(server, devwiki);
    const profile = await load.run(
      server,
      Array.from({ length: samples + 1 }, () => ({ path: '/profile', headers: { cookie } })),
      1,
    );
    const measured = profile.timings.slice(1);
    if (measured.some((t) => t.status !== 200)) throw new Error('OAuth 2.0 /profile did not answer 200');
    const profileTotal = median(measured.map((t) => t.totalMs));
    const profileTtfb = median(measured.map((t) => t.ttfbMs));
    const { verdict, ratio } = ratioVerdict(profileTotal / roundTrip, PROFILE_BUDGET);

    const { counts, callbackTimes } = await countLogins(server, devwiki, load, logins);
    const login = loginFigure(counts, MINIMAL_LOGIN_2);

    // The refresh: logins whose access token is due at once (DUE_TTL_S), one /profile each, beside
    // logins whose token is not (the default hour), one /profile each: both unseal a cookie seen
    // for the first time, so the difference is the refresh (the token request, sealing and
    // setting the new cookie).
    const warm = await profileRequests(server, devwiki, 1);
    await measureProfiles(app, load, warm);
    const notDue = await profileRequests(server, devwiki, samples);
    devwiki.setTokenLifetimes({ accessTokenTtlS: DUE_TTL_S });
    const due = await profileRequests(server, devwiki, samples);
    devwiki.setTokenLifetimes({ accessTokenTtlS: 3600 });
    const plain = await measureProfiles(app, load, notDue);
    const refreshing = await measureProfiles(app, load, due);
    if (plain.refreshes !== 0 || refreshing.refreshes !== samples || refreshing.setCookies !== samples) {
      throw new Error(
        `the refresh rows are not what they claim: ${plain.refreshes} refreshes without a due token, ` +
          `${refreshing.refreshes} refreshes and ${refreshing.setCookies} new cookies for ${samples} due tokens`,
      );
    }

    return [
      {
        name: `OAuth 2.0: one wiki round trip (profile with a Bearer token, wiki +${WIKI_LATENCY_MS} ms)`,
        value: formatMs(roundTrip),
        budget: null,
        verdict: null,
      },
      {
        name: 'OAuth 2.0: /profile server time (profile ∥ userinfo), last byte',
        value: `${formatMs(profileTotal)} = ${(profileTotal / roundTrip).toFixed(2)} round trips (first byte ${formatMs(profileTtfb)})`,
        budget: `≤ ${PROFILE_BUDGET} round trips = ${formatMs(PROFILE_BUDGET * roundTrip)}; ${ratio}`,
        verdict,
      },
      {
        name: `OAuth 2.0: wiki requests per login (${logins} logins; authorize needs none)`,
        value: login.value,
        budget: login.budget,
        verdict: login.met ? 'met' : 'missed',
      },
      {
        name: 'OAuth 2.0: callback server time (token, then profile)',
        value: `${formatMs(median(callbackTimes))} = ${(median(callbackTimes) / roundTrip).toFixed(2)} round trips`,
        budget: null,
        verdict: null,
      },
      {
        name: 'OAuth 2.0: /profile, token not due (no refresh), new cookie each',
        value: `${formatMs(plain.totalMs)} = ${(plain.totalMs / roundTrip).toFixed(2)} round trips; ${formatMs(plain.cpuMs)} CPU`,
        budget: null,
        verdict: null,
      },
      {
        name: 'OAuth 2.0: /profile, token due (proxy.ts refreshes first), new cookie each',
        value:
          `${formatMs(refreshing.totalMs)} = ${(refreshing.totalMs / roundTrip).toFixed(2)} round trips; ${formatMs(refreshing.cpuMs)} CPU; ` +
          `the refresh: +${formatMs(refreshing.totalMs - plain.totalMs)}, +${formatMs(refreshing.cpuMs - plain.cpuMs)} CPU`,
        budget: null,
        verdict: null,
      },
    ];
  } finally {
    await app.close();
  }
}

export async function run(options: BenchOptions): Promise<Section> {
  const samples = options.smoke ? 3 : 15;
  const logins = options.smoke ? 2 : 5;
  const app = await startE2EServer({ devwiki: { latencyMs: WIKI_LATENCY_MS } });
  const load = LoadGenerator.start();
  try {
    const server = app.origin.replace('localhost', '127.0.0.1');
    const { devwiki, consumer } = app;

    // One round trip, as the app makes it: lib/mwoauth's signed identify, verified.
    const access = await accessTokenFor(devwiki, consumer, 'Alice');
    const userAgent = 'next-mwoauth-bench/1.0 (bench/latency; nobody@example.org)';
    const roundTrips: number[] = [];
    for (let i = 0; i < samples + 1; i++) {
      const start = performance.now();
      await identify(devwiki.indexUrl, consumer, access, { userAgent });
      if (i > 0) roundTrips.push(performance.now() - start); // the first warms up
    }
    const roundTrip = median(roundTrips);

    // /profile, one request at a time, after one to warm up.
    const cookie = await loginCookie(server, devwiki);
    const profile = await load.run(
      server,
      Array.from({ length: samples + 1 }, () => ({ path: '/profile', headers: { cookie } })),
      1,
    );
    const measured = profile.timings.slice(1);
    if (measured.some((t) => t.status !== 200)) throw new Error('/profile did not answer 200');
    const profileTotal = median(measured.map((t) => t.totalMs));
    const profileTtfb = median(measured.map((t) => t.ttfbMs));
    const { verdict, ratio } = ratioVerdict(profileTotal / roundTrip, PROFILE_BUDGET);

    // Logins: the app's wiki requests between the start of initiate and the end of the callback,
    // without the browser's own (the authorize page, Allow).
    const { counts, callbackTimes } = await countLogins(server, devwiki, load, logins);
    const login = loginFigure(counts, MINIMAL_LOGIN);

    const rows: Row[] = [
      {
        name: `one wiki round trip (signed identify + verify, wiki +${WIKI_LATENCY_MS} ms)`,
        value: formatMs(roundTrip),
        budget: null,
        verdict: null,
      },
      {
        name: '/profile server time (identify ∥ userinfo), last byte',
        value: `${formatMs(profileTotal)} = ${(profileTotal / roundTrip).toFixed(2)} round trips (first byte ${formatMs(profileTtfb)})`,
        budget: `≤ ${PROFILE_BUDGET} round trips = ${formatMs(PROFILE_BUDGET * roundTrip)}; ${ratio}`,
        verdict,
      },
      {
        name: `wiki requests per login (${logins} logins)`,
        value: login.value,
        budget: login.budget,
        verdict: login.met ? 'met' : 'missed',
      },
      {
        name: 'callback server time (token, then identify: each needs the one before)',
        value: `${formatMs(median(callbackTimes))} = ${(median(callbackTimes) / roundTrip).toFixed(2)} round trips`,
        budget: null,
        verdict: null,
      },
    ];
    rows.push(...(await oauth2Rows(samples, logins, load)));
    return {
      title: '2. Latency with a distant wiki',
      rows,
      notes: [
        `devwiki (in the bench process) adds ${WIKI_LATENCY_MS} ms to every answer. Medians of ${samples} requests, one at a time, after one to warm up; the app's times are measured by a client on loopback from a separate process (first byte and last byte of the answer: Next streams a page, so the last byte is the server's time).`,
        'One round trip = lib/mwoauth identify (sign, POST Special:OAuth/identify, verify the JWT) from the bench process: what the app spends per call to the wiki.',
        'Wiki requests per login: devwiki request log between the start of initiate and the end of the callback, leaving out what the browser asks (the authorize page and Allow); one figure per login, separated by "/".',
        `OAuth 2.0 rows: the same app with MW_OAUTH_VERSION=2.0 against a devwiki (+${WIKI_LATENCY_MS} ms) whose one client is confidential, registered with the app's exact redirect URI. Its round trip is lib/mwoauth fetchProfile (GET rest.php/oauth2/resource/profile with a Bearer token, JSON): no signature and no JWT to verify, so it is a shade shorter than 1.0a's. The refresh rows: ${samples} /profile requests one at a time, each with the cookie of a login of its own (so each unseals a cookie once, as in neither row of 1.0a); "due" logins were made with a ${DUE_TTL_S} s access token, under the app's 60 s refresh margin, so proxy.ts refreshes it (one refresh_token request to the wiki, checked in devwiki's log, and a new login cookie, checked in the answers) before the page asks the wiki. CPU per request: the app's process tree over those requests, idle waiting on the wiki included.`,
      ],
    };
  } finally {
    load.close();
    await app.close();
  }
}
