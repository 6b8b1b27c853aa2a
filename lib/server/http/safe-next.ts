import 'server-only';

// Where to send the user after logging in or out: `?next=` comes from the URL, so it is attacker
// input (an open redirect turns our trusted origin into a phishing hop). It is checked when stored
// in the handshake cookie and again when used, and the redirect is always built as an absolute
// URL on our own origin, so even a value that slipped through could not leave it (SECURITY.md).

/** Longest `next` kept: longer values are not a page of ours and would bloat the cookie. */
export const MAX_NEXT_LENGTH = 1024;

/** The login routes themselves: sending the user back into them would loop or log them out. */
const AUTH_PREFIX = '/api/mwoauth/';

const BASE = 'http://next-mwoauth.invalid';

/**
 * Returns `value` as a same-origin path (`/profile?tab=1#x`), or `/` when it is anything else:
 * absent, not a string, over-long, with control characters or backslashes (browsers read `/\evil`
 * as `//evil`), protocol-relative (`//evil`), absolute (`https://evil`, `javascript:`), or one of
 * the login routes.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_NEXT_LENGTH) return '/';
  // Must start with exactly one slash: '//host' and '/\host' are other origins to a browser.
  if (!value.startsWith('/') || value.startsWith('//')) return '/';
  // Control characters (tab, newline, NUL: the URL parser strips tabs and newlines, so '/\t/evil'
  // would become '//evil'), backslashes (treated as '/'), and non-ASCII spaces are refused outright.
  if (/[\u0000-\u001f\u007f\\\s]/u.test(value)) return '/';
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return '/';
  }
  if (url.origin !== BASE) return '/';
  // Dot segments ('/./..//evil') normalise to a protocol-relative path: check the result too.
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (!path.startsWith('/') || path.startsWith('//')) return '/';
  // Any '//' left in the path: Next answers '/api//mwoauth/initiate' with a 308 to
  // '/api/mwoauth/initiate', so such a path would reach the login routes past the check below.
  if (url.pathname.includes('//')) return '/';
  if (isAuthRoute(url.pathname)) return '/';
  return path;
}

/**
 * Whether `pathname` may be routed to the login routes: compared after percent-decoding (once),
 * re-normalising dot segments, collapsing repeated slashes and lower-casing, so that no spelling
 * ('/API/mwoauth/', '/api/%6Dwoauth/', '/api/mwoauth%2F..') slips past a plain prefix test.
 */
function isAuthRoute(pathname: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return true;
  }
  let normal: string;
  try {
    normal = new URL(decoded.replace(/\\/g, '/'), BASE).pathname;
  } catch {
    return true;
  }
  const forms = [pathname, decoded, normal].map((p) => p.replace(/\/{2,}/g, '/').toLowerCase());
  return forms.some((p) => p === AUTH_PREFIX.slice(0, -1) || p.startsWith(AUTH_PREFIX));
}

/** The absolute URL of `next` (re-checked) on `origin`, for a `Location` header. */
export function nextUrl(next: unknown, origin: string): URL {
  const url = new URL(safeNext(next), origin);
  // Belt and braces: safeNext only returns paths, so this holds; if it ever did not, go home.
  return url.origin === new URL(origin).origin ? url : new URL('/', origin);
}

/** The path of the initiate route that logs in and comes back to `next` (checked). */
export function loginPath(next: unknown): string {
  return `/api/mwoauth/initiate?next=${encodeURIComponent(safeNext(next))}`;
}
