// Section "farm": /profile with N other wikis in MW_WIKIS, every wiki 100 ms away
// (devwiki's latencyMs on each wiki of the farm). What is counted: the wiki requests one /profile
// makes (from every wiki's request log), and its server time in round trips of the wiki: the other
// wikis are asked at the same time as the login wiki's identify and userinfo, so the page should
// cost one round trip and a little whatever N is.
import { fetchProfile, identify } from 'mwoauth';
import type { Devwiki } from '@/devwiki';
import { accessTokenFor } from '@/tests/support/app-harness';
import { startE2EServer, type E2EServer } from '@/tests/support/e2e-app';
import { formatMs, median, ratioVerdict } from './format';
import { WIKI_LATENCY_MS } from './latency';
import { LoadGenerator } from './load';
import { loginCookie } from './login';
import { BENCH_USER_AGENT, oauth2TokensFor, startOAuth2Server } from './oauth2';
import type { BenchOptions, Row, Section } from './report';

/** The page's budget: the slowest of its parallel calls, plus the app's own work. */
const PROFILE_BUDGET = 1.3;

/** Every request the farm's wikis received, by wiki and endpoint. */
function requestsOf(devwiki: Devwiki): number {
  return devwiki.requests.length + devwiki.otherWikis.reduce((n, w) => n + w.requests.length, 0);
}

interface Figures {
  readonly requests: number[];
  readonly totalMs: number;
}

/** `samples` /profile requests one at a time (after one to warm up): requests made and server time. */
async function profileFigures(
  app: E2EServer,
  load: LoadGenerator,
  login: string,
  samples: number,
): Promise<Figures> {
  let cookie = login;
  const server = app.origin.replace('localhost', '127.0.0.1');
  // As a browser: the first page after a login stores what proxy.ts wrote into the login cookie
  // (the wiki's cookies, asked once: lib/server/wiki/cookies.ts); the measured pages send it back.
  const first = await fetch(`${server}/profile`, { headers: { cookie }, redirect: 'manual' });
  await first.arrayBuffer();
  const renewed = first.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith('mwoauth_session=') && c !== 'mwoauth_session=');
  cookie = renewed ?? cookie;
  await load.run(server, [{ path: '/profile', headers: { cookie } }], 1);
  const requests: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const before = requestsOf(app.devwiki);
    const answer = await load.run(server, [{ path: '/profile', headers: { cookie } }], 1);
    const [timing] = answer.timings;
    if (timing?.status !== 200) throw new Error(`/profile answered ${timing?.status ?? 'nothing'}`);
    requests.push(requestsOf(app.devwiki) - before);
    times.push(timing.totalMs);
  }
  return { requests, totalMs: median(times) };
}

function rowsFor(protocol: string, others: number, figures: Figures, roundTrip: number): Row[] {
  const { verdict, ratio } = ratioVerdict(figures.totalMs / roundTrip, PROFILE_BUDGET);
  const counts = [...new Set(figures.requests)].join('/');
  return [
    {
      name: `${protocol}: wiki requests per /profile, ${others} other wiki${others === 1 ? '' : 's'} in MW_WIKIS`,
      value: counts,
      // identify (or profile) + userinfo on the login wiki, one userinfo on each other wiki.
      budget: `${2 + others} (2 + 1 a wiki)`,
      verdict: figures.requests.every((n) => n === 2 + others) ? 'met' : 'missed',
    },
    {
      name: `${protocol}: /profile server time, ${others} other wiki${others === 1 ? '' : 's'} (all +${WIKI_LATENCY_MS} ms)`,
      value: `${formatMs(figures.totalMs)} = ${(figures.totalMs / roundTrip).toFixed(2)} round trips`,
      budget: `≤ ${PROFILE_BUDGET} round trips = ${formatMs(PROFILE_BUDGET * roundTrip)}; ${ratio}`,
      verdict,
    },
  ];
}

/** The login wiki's round trip, as the app makes one: a signed identify, verified. */
async function oauth1RoundTrip(app: E2EServer, samples: number): Promise<number> {
  const access = await accessTokenFor(app.devwiki, app.consumer, 'Alice');
  const times: number[] = [];
  for (let i = 0; i < samples + 1; i++) {
    const start = performance.now();
    await identify(app.devwiki.indexUrl, app.consumer, access, { userAgent: BENCH_USER_AGENT });
    if (i > 0) times.push(performance.now() - start);
  }
  return median(times);
}

export async function run(options: BenchOptions): Promise<Section> {
  const samples = options.smoke ? 3 : 11;
  const sizes = options.smoke ? [1] : [0, 1, 3, 6];
  const load = LoadGenerator.start();
  const rows: Row[] = [];
  try {
    for (const others of sizes) {
      const app = await startE2EServer({
        devwiki: { latencyMs: WIKI_LATENCY_MS, otherWikis: Array.from({ length: others }, () => ({})) },
      });
      try {
        const roundTrip = await oauth1RoundTrip(app, samples);
        const cookie = await loginCookie(app.origin.replace('localhost', '127.0.0.1'), app.devwiki);
        rows.push(
          ...rowsFor('OAuth 1.0a', others, await profileFigures(app, load, cookie, samples), roundTrip),
        );
      } finally {
        await app.close();
      }
    }
    // OAuth 2.0 with the largest farm: Bearer calls, resource/profile on the login wiki.
    const others = sizes[sizes.length - 1] ?? 1;
    const app = await startOAuth2Server({
      latencyMs: WIKI_LATENCY_MS,
      refreshTokenTtlS: 3600,
      otherWikis: Array.from({ length: others }, () => ({})),
    });
    try {
      const cookie = await loginCookie(app.origin.replace('localhost', '127.0.0.1'), app.devwiki);
      // 2.0's round trip, as bench/latency.ts measures it: resource/profile with a Bearer token.
      const tokens = await oauth2TokensFor(app, app.devwiki);
      const times: number[] = [];
      for (let i = 0; i < samples + 1; i++) {
        const start = performance.now();
        await fetchProfile(app.devwiki.indexUrl, tokens.accessToken, { userAgent: BENCH_USER_AGENT });
        if (i > 0) times.push(performance.now() - start);
      }
      rows.push(
        ...rowsFor('OAuth 2.0', others, await profileFigures(app, load, cookie, samples), median(times)),
      );
    } finally {
      await app.close();
    }
  } finally {
    load.close();
  }
  return {
    title: '8. Many wikis (MW_WIKIS)',
    rows,
    notes: [
      `A devwiki farm whose every wiki (the login wiki and the N others, each its own server) adds ${WIKI_LATENCY_MS} ms to every answer; the app's MW_WIKIS lists the N others and Alice has an account on each. Requests per /profile: the sum of every wiki's request log across one /profile (each figure seen, separated by "/"). Server time: median of ${samples} /profile requests one at a time after one to warm up, last byte, seen by a client on loopback, after a first /profile whose renewed login cookie (proxy.ts stores the wiki's cookies there once) the measured requests send back, as a browser does; divided by one round trip of the login wiki as lib/mwoauth makes it from the bench process (1.0a: a signed identify, verified; 2.0: resource/profile with a Bearer token).`,
    ],
  };
}
