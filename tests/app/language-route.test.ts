import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDevwiki, type Devwiki, type DevwikiConsumer } from '@/devwiki';
import { GET as languageRoute } from '@/app/api/language/route';
import { GET as callback } from '@/app/api/mwoauth/callback/route';
import { GET as logoutGet } from '@/app/api/mwoauth/logout/route';
import { APP_ORIGIN, configureFor, request, testConsumer } from '@/tests/support/app-harness';

// /api/language (the wiki language preference remembered) and the route handlers' failure pages
// in the request's language: ?uselang=, its cookie, the wiki language cookie, Accept-Language.

let devwiki: Devwiki;
const consumer: DevwikiConsumer = testConsumer();
const savedEnv = { ...process.env };

beforeAll(async () => {
  devwiki = await startDevwiki({ consumers: [consumer] });
});
afterAll(async () => {
  await devwiki.close();
});
beforeEach(() => {
  configureFor(devwiki, consumer);
});
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

describe('GET /api/language', () => {
  it('should remember the wiki language in an HttpOnly, SameSite=Lax cookie and go back marked langset', async () => {
    const response = languageRoute(request('/api/language?wiki=fr&next=/profile', null));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${APP_ORIGIN}/profile?langset=1`);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^mwoauth_wikilang=fr;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=lax/i);
  });

  it.each(['<script>', 'fr"; Path=/x', '', 'a'.repeat(40)])(
    'should set no cookie for the code %j',
    (code) => {
      const response = languageRoute(request(`/api/language?wiki=${encodeURIComponent(code)}&next=/`, null));
      expect(response.status).toBe(303);
      expect(response.headers.get('set-cookie')).toBeNull();
    },
  );

  it('should go back only to our origin', () => {
    const response = languageRoute(request('/api/language?wiki=ar&next=https://evil.example/x', null));
    expect(new URL(response.headers.get('location') ?? '').origin).toBe(APP_ORIGIN);
  });
});

describe("the route handlers' failure pages", () => {
  it.each([
    ['?uselang=ar', {}, 'ar', 'rtl'],
    ['', { cookie: 'mwoauth_uselang=fr' }, 'fr', 'ltr'],
    ['', { cookie: 'mwoauth_wikilang=arz' }, 'ar', 'rtl'],
    ['', { 'accept-language': 'de-CH, fr;q=0.8' }, 'fr', 'ltr'],
    ['', { 'accept-language': 'de-CH' }, 'en', 'ltr'],
    ['?uselang=en', { cookie: 'mwoauth_uselang=ar' }, 'en', 'ltr'],
  ])('should answer %s %j in %s (%s)', async (query, headers, lang, dir) => {
    const response = logoutGet(request(`/api/mwoauth/logout${query}`, null, { headers }));
    expect(response.status).toBe(405);
    const html = await response.text();
    expect(html).toContain(`<html lang="${lang}" dir="${dir}">`);
    expect(html).not.toMatch(/nextmwoauth-|⧼/);
  });

  it('should say "login not started" in French to a French browser', async () => {
    const response = await callback(
      request('/api/mwoauth/callback?oauth_token=x&oauth_verifier=y', null, {
        headers: { 'accept-language': 'fr-FR,fr;q=0.9' },
      }),
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<html lang="fr" dir="ltr">');
    expect(html).toContain('Recommencez la connexion.');
  });
});
