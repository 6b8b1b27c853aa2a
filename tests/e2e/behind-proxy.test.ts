import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '@/tests/support/app-harness';
import { startE2EServer, type E2EServer } from '@/tests/support/e2e-app';

// The app behind a reverse proxy (Toolforge): the browser's pages come from APP_URL, while the
// requests reach `next start` with an internal Host. Next's server-action CSRF check compares the
// Origin with the Host, so next.config.mjs must allow APP_URL's host, and no other.

const PUBLIC_ORIGIN = 'https://tool.example.org';

let app: E2EServer;
const jar = new CookieJar();

/** A request to the app as the proxy passes it on (Host: the internal address), redirects not followed. */
async function send(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: FormData } = {},
): Promise<Response> {
  return jar.send(new URL(path, app.origin), init);
}

beforeAll(async () => {
  app = await startE2EServer({ env: { APP_URL: PUBLIC_ORIGIN } });
  const start = await send('/api/mwoauth/initiate?next=/action-fixture');
  const back = await app.devwiki.approve(start.headers.get('location') ?? '', 'Proxied');
  const login = await send(back);
  expect(login.headers.get('location')).toBe(`${PUBLIC_ORIGIN}/action-fixture`);
});

afterAll(async () => {
  await app?.close();
});

/**
 * Submits the test build's server-action form (app/action-fixture) as a browser without JavaScript
 * on `origin` would (a multipart POST).
 */
async function submitFrom(origin: string, line: string): Promise<Response> {
  const page = await (await send('/action-fixture')).text();
  const field = /name="(\$ACTION_ID_[0-9a-f]+)"/.exec(page)?.[1];
  if (field === undefined) throw new Error('/action-fixture has no server-action form');
  const form = new FormData();
  form.set(field, '');
  form.set('line', line);
  return send('/action-fixture', { method: 'POST', headers: { origin }, body: form });
}

function edited(): string {
  return app.devwiki.readPage('User:Proxied/action-fixture')?.content ?? '';
}

describe('a server action behind a proxy', () => {
  it("should accept the server action from APP_URL's origin although the Host is internal", async () => {
    const reply = await submitFrom(PUBLIC_ORIGIN, 'Sent through the proxy');
    expect(reply.status).toBe(303);
    expect(new URL(reply.headers.get('location') ?? '', app.origin).pathname).toBe('/action-fixture');
    expect(edited()).toContain('Sent through the proxy');
  });

  it('should still refuse it from any other origin', async () => {
    const reply = await submitFrom('https://evil.example', 'Sent from another site');
    expect(reply.status).not.toBe(303);
    expect(edited()).not.toContain('Sent from another site');
  });
});
