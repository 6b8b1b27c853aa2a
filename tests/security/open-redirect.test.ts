import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { E2EServer } from '@/tests/support/e2e-app';
import { corpusSize, nextCases, NEXT_CORPUS, type NextCase } from './next-corpus';
import {
  Browser,
  expectCleanLog,
  mapBounded,
  PROTOCOL_FACTS,
  PROTOCOLS,
  Secrets,
  startFor,
  type Protocol,
  type Reply,
} from './support';

// No `next` value sends the browser to another origin, after a login (initiate →
// the wiki's Allow → callback) or a logout, and none makes the app fail (5xx). In both
// protocols (2.0: initiate → rest.php/oauth2/authorize → Allow → callback with code and state).
// Both protocols, the cookie store only: `next` is checked before and apart from any session.

interface Outcome {
  c: NextCase;
  replies: Reply[];
  final: Reply;
  /** A form body over the logout route's 4 KB cap: 413 (nothing read, no redirect) is the answer. */
  overCap?: boolean;
}

/** Where a redirect goes wrong: another origin, or back into the login routes. */
function problem(o: Outcome, origin: string): string | null {
  const location = o.final.location;
  if (o.overCap === true) return o.final.status === 413 ? null : `answered ${o.final.status}, not 413`;
  if (o.final.status !== 303 || location === null) return `answered ${o.final.status}, not 303`;
  if (location.origin !== origin) return `Location ${location.href} is off-origin`;
  // As Next routes it: '/api//mwoauth/x' is 308-redirected to '/api/mwoauth/x', so collapse slashes.
  const routed = location.pathname.replace(/\/{2,}/g, '/').toLowerCase();
  if (routed.startsWith('/api/mwoauth')) return `Location ${location.href} is an auth route`;
  if (o.c.expectPath !== null && location.href !== new URL(o.c.expectPath, origin).href) {
    return `Location ${location.href} lost the same-origin path ${o.c.expectPath}`;
  }
  return null;
}

function offOrigin(outcomes: readonly Outcome[], origin: string): number {
  return outcomes.filter((o) => o.final.location !== null && o.final.location.origin !== origin).length;
}

function serverErrors(outcomes: readonly Outcome[]): number {
  return outcomes.flatMap((o) => o.replies).filter((r) => r.status >= 500).length;
}

function suite(protocol: Protocol): void {
  const facts = PROTOCOL_FACTS[protocol];
  let app: E2EServer;
  let secrets: Secrets;

  beforeAll(async () => {
    app = await startFor(protocol);
    secrets = new Secrets(app);
  });

  afterAll(async () => {
    try {
      if (app !== undefined) expectCleanLog(`open-redirect${facts.label}`, app, secrets);
    } finally {
      await app?.close();
    }
  });

  describe('next after login and logout (open redirect)', () => {
    it('should hold at least 100 attack values of every kind the issue lists', () => {
      expect(corpusSize()).toBeGreaterThanOrEqual(100);
      expect(Object.keys(NEXT_CORPUS)).toHaveLength(13);
    });

    it('should send the browser back only to our own origin after initiate → Allow → callback', async () => {
      const cases = nextCases(app.origin);
      const outcomes = await mapBounded(cases, 8, async (c): Promise<Outcome> => {
        const browser = new Browser(app, secrets);
        const start = await browser.send(`/api/mwoauth/initiate?${c.query}`);
        // initiate's own redirect goes to the wiki's authorize page, and only there.
        expect(start.status, c.label).toBe(303);
        expect(start.location?.origin, c.label).toBe(app.devwiki.origin);
        const back = await app.devwiki.approve(start.location?.href ?? '', 'Alice');
        const final = await browser.send(back);
        return { c, replies: [start, final], final };
      });
      const off = offOrigin(outcomes, app.origin);
      const errors = serverErrors(outcomes);
      console.log(
        `[security] open-redirect login${facts.label}: ${corpusSize()} values + ${cases.length - corpusSize()} controls, ${off} off-origin Location, ${errors} 5xx`,
      );
      expect(outcomes.map((o) => problem(o, app.origin)).filter((p) => p !== null)).toEqual([]);
      expect(off).toBe(0);
      expect(errors).toBe(0);
    });

    it('should send the browser back only to our own origin after logout (next in the query or the form)', async () => {
      const cases = nextCases(app.origin);
      const outcomes = (
        await mapBounded(cases, 8, async (c): Promise<Outcome[]> => {
          const browser = new Browser(app, secrets);
          const headers = { origin: app.origin, 'content-type': 'application/x-www-form-urlencoded' };
          const inQuery = await browser.send(`/api/mwoauth/logout?${c.query}`, { method: 'POST', headers });
          const inForm = await browser.send('/api/mwoauth/logout', {
            method: 'POST',
            headers,
            body: c.query,
          });
          return [
            { c, replies: [inQuery], final: inQuery },
            {
              c: { ...c, label: `${c.label} (form)` },
              replies: [inForm],
              final: inForm,
              overCap: Buffer.byteLength(c.query) > 4096,
            },
          ];
        })
      ).flat();
      const off = offOrigin(outcomes, app.origin);
      const errors = serverErrors(outcomes);
      console.log(
        `[security] open-redirect logout${facts.label}: ${outcomes.length} requests (${cases.length} values, query and form), ${off} off-origin Location, ${errors} 5xx`,
      );
      expect(outcomes.map((o) => problem(o, app.origin)).filter((p) => p !== null)).toEqual([]);
      expect(off).toBe(0);
      expect(errors).toBe(0);
    });

    it('should send the browser back only to our own origin after /api/language (the wiki language)', async () => {
      const cases = nextCases(app.origin);
      const outcomes = await mapBounded(cases, 8, async (c): Promise<Outcome> => {
        const browser = new Browser(app, secrets);
        const reply = await browser.send(`/api/language?wiki=fr&${c.query}`);
        // The route marks its redirect with langset=1 (no second round trip); the rest must be next's.
        const location = reply.location === null ? null : new URL(reply.location.href);
        location?.searchParams.delete('langset');
        if (location !== null && location.search === '?') location.search = '';
        return { c, replies: [reply], final: { ...reply, location } };
      });
      const off = offOrigin(outcomes, app.origin);
      const errors = serverErrors(outcomes);
      console.log(
        `[security] open-redirect language${facts.label}: ${cases.length} values, ${off} off-origin Location, ${errors} 5xx`,
      );
      expect(outcomes.map((o) => problem(o, app.origin)).filter((p) => p !== null)).toEqual([]);
      expect(off).toBe(0);
      expect(errors).toBe(0);
    });
  });
}

describe.each(PROTOCOLS)('OAuth %s', suite);
