import 'server-only';

// "What is our origin", in one place. Imports nothing of lib/server, so both the
// configuration and the session code can use it without a circle.

/**
 * Cookies may go over plain HTTP only on the developer's own machine; everywhere else they are
 * `Secure`, so a network attacker never sees them.
 */
export function secureCookiesFor(origin: string): boolean {
  const url = new URL(origin);
  if (url.protocol !== 'http:') return true;
  return !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/**
 * Our public origin: APP_URL when set (behind Toolforge's proxy the request's own URL names an
 * internal host), else the origin of the request as the browser addressed it.
 */
export function publicOrigin(appOrigin: string | null, requestOrigin: string): string {
  return appOrigin ?? requestOrigin;
}

/**
 * Whether a cookie a server action sets must be Secure, decided as the route handlers decide it
 * (secureCookiesFor of our origin): APP_URL's origin or, without it, the host the request names
 * (`host`, the Host header). Only plain-HTTP localhost is exempt, so the scheme does not matter here.
 */
export function secureCookiesForAction(appOrigin: string | null, host: string | null): boolean {
  if (appOrigin !== null) return secureCookiesFor(appOrigin);
  try {
    return secureCookiesFor(`http://${host ?? ''}`);
  } catch {
    return true; // not a host name at all: Secure, the safe side
  }
}

/**
 * Whether a state-changing request comes from our own pages (logout, server actions, withUser's
 * POST): the Origin, scheme included, must be ours; without an Origin, Sec-Fetch-Site must say
 * same-origin. Browsers send Origin with every POST. Next's own server-action check compares the
 * host only, so an `http://` Origin passed for an `https://` APP_URL.
 */
export function fromOrigin(sentOrigin: string | null, secFetchSite: string | null, ours: string): boolean {
  if (sentOrigin !== null) return sentOrigin === ours;
  return secFetchSite === 'same-origin';
}
