// Section 7, Wikimedia in 2026: the login cookie's bytes with a sessionJwt as production
// sizes it, the CPU the per-login wiki cookie jar adds to a page request, and the wiki requests per
// login (4 for OAuth 1.0a: one api.php call for the sessionJwt; 2 for OAuth 2.0), against devwiki's
// Wikimedia-like mode.
// The figures come from bench/wikimedia-node.ts, run in a process of its own.
import type { MicroPlan } from './micro-protocol';
import { runNodeScript } from './child';
import type { BenchOptions, Row, Section } from './report';
import type { WikimediaNodeResult } from './wikimedia-node';

const FULL: MicroPlan = { warmupMs: 300, minBatchMs: 40, batches: 15 };
const SMOKE: MicroPlan = { warmupMs: 20, minBatchMs: 2, batches: 3 };
/** Browsers drop a cookie whose Set-Cookie is over 4096 bytes. */
const COOKIE_LIMIT = 4096;

function runNode(plan: MicroPlan): Promise<WikimediaNodeResult> {
  return runNodeScript('wikimedia-node.ts', { BENCH_PLAN: JSON.stringify(plan) });
}

const us = (value: number): string => `${value.toFixed(1)} µs`;

export async function run(options: BenchOptions): Promise<Section> {
  const r = await runNode(options.smoke ? SMOKE : FULL);
  const exactly = (value: number, expected: number): Row['verdict'] =>
    value === expected ? 'met' : 'missed';
  const rows: Row[] = [
    {
      name: `login cookie (Set-Cookie, every attribute) with a ${r.sessionJwtChars}-character sessionJwt`,
      value: `${r.cookieHeaderBytes} B`,
      budget: `< ${COOKIE_LIMIT} B`,
      verdict: r.cookieHeaderBytes < COOKIE_LIMIT ? 'met' : 'missed',
    },
    {
      name: "the wiki cookie jar's CPU in one page request (open, Cookie, Set-Cookie, changed)",
      value: us(r.jarPerRequest.usPerOp),
      budget: null,
      verdict: null,
    },
    {
      name: 'one api.php call with the jar (in-process devwiki included)',
      value: us(r.callWithJar.usPerOp),
      budget: null,
      verdict: null,
    },
    {
      name: 'the same call without the jar',
      value: us(r.callWithoutJar.usPerOp),
      budget: null,
      verdict: null,
    },
    {
      name: 'OAuth 1.0a: wiki requests per login (initiate, token, identify, api.php for the sessionJwt)',
      value: String(r.requestsPerLogin.oauth1),
      budget: '= 4',
      verdict: exactly(r.requestsPerLogin.oauth1, 4),
    },
    {
      name: 'OAuth 2.0: wiki requests per login (token, profile)',
      value: String(r.requestsPerLogin.oauth2),
      budget: '= 2',
      verdict: exactly(r.requestsPerLogin.oauth2, 2),
    },
  ];
  return {
    title: 'wikimedia',
    rows,
    notes: [
      'Against devwiki started with { wikimedia: true } in the measuring process (bench/wikimedia-node.ts).',
      "The sessionJwt is built as core's JwtSessionCookieHelper does (iss, sub mw:CentralAuth::<id>, iat, sxp, jti) and signed RS256 with a 2048-bit key: Wikimedia's own algorithm and key are not in the sources found; an ES256 signature would make it 256 characters shorter.",
      'The jar row is µs of wall time per operation (median of batches) in one process, the jar alone: replaying the stored cookie into a tough-cookie jar, the Cookie header, storing one Set-Cookie, and the comparison that decides whether to save.',
      "Wiki requests per login: between the flow's start and finish, without the browser's own (the authorize page and Allow). OAuth 1.0a asks api.php once more at the login for the wiki's sessionJwt (the login is the one request that may write a session: tests/security/cookies.test.ts's logout race); 2.0 user tokens get no such cookie.",
    ],
  };
}
