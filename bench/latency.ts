// Section 2: the app with a distant wiki (devwiki adding 100 ms to every answer).
// - one wiki round trip: a signed identify (POST + JWT verify) sent by lib/mwoauth from this process;
// - /profile's server time, seen from a client on loopback, as a multiple of that round trip
//   (identify and userinfo go in parallel, so it should be one round trip and a little);
// - the login's wiki requests, counted from devwiki's request log: initiate, token, identify.
import { identify } from '@/lib/mwoauth';
import { startE2EServer } from '@/tests/support/e2e-app';
import { accessTokenFor } from '@/tests/support/app-harness';
import { formatMs, median, ratioVerdict } from './format';
import { LoadGenerator } from './load';
import { loginCookie, preparedCallback } from './login';
import type { BenchOptions, Row, Section } from './report';

export const WIKI_LATENCY_MS = 100;
export const PROFILE_BUDGET = 1.3;
/** The login's calls to the wiki, as Extension:OAuth's protocol needs them, and no more. */
const MINIMAL_LOGIN = { initiate: 1, token: 1, identify: 1 } as const;
/** What a browser (devwiki.approve) asks of the wiki during a login: not the app's requests. */
const BROWSER_ENDPOINTS = new Set(['authorize', 'login', 'page', 'other']);

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
    const endpoints = [...new Set(counts.flatMap((c) => Object.keys(c)))].sort();
    const perLogin = endpoints.map((e) => `${e} ${counts.map((c) => c[e] ?? 0).join('/')}`).join(', ');
    const minimal = counts.every(
      (c) =>
        Object.keys(c).length === Object.keys(MINIMAL_LOGIN).length &&
        Object.entries(MINIMAL_LOGIN).every(([e, n]) => c[e] === n),
    );
    const total = Object.values(MINIMAL_LOGIN).reduce((a, b) => a + b, 0);

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
        value: perLogin,
        budget: `initiate 1, token 1, identify 1 (${total})`,
        verdict: minimal ? 'met' : 'missed',
      },
      {
        name: 'callback server time (token, then identify: each needs the one before)',
        value: `${formatMs(median(callbackTimes))} = ${(median(callbackTimes) / roundTrip).toFixed(2)} round trips`,
        budget: null,
        verdict: null,
      },
    ];
    return {
      title: '2. Latency with a distant wiki',
      rows,
      notes: [
        `devwiki (in the bench process) adds ${WIKI_LATENCY_MS} ms to every answer. Medians of ${samples} requests, one at a time, after one to warm up; the app's times are measured by a client on loopback from a separate process (first byte and last byte of the answer: Next streams a page, so the last byte is the server's time).`,
        'One round trip = lib/mwoauth identify (sign, POST Special:OAuth/identify, verify the JWT) from the bench process: what the app spends per call to the wiki.',
        'Wiki requests per login: devwiki request log between the start of initiate and the end of the callback, leaving out what the browser asks (the authorize page and Allow); one figure per login, separated by "/".',
      ],
    };
  } finally {
    load.close();
    await app.close();
  }
}
