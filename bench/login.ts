// Logging in against a server under test (the app, or the physical floor: same paths), over HTTP
// from the bench process, with devwiki pressing Allow: to get a login cookie, or to stop just before
// the callback so that the callback alone can be measured (it is single use).
import type { Devwiki } from '@/devwiki';
import type { LoadRequest } from './load';

/** `name=value` of each Set-Cookie of `response`, as a browser would send them back. */
function cookiesOf(response: Response): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0) cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return cookies;
}

function expect303(response: Response, what: string): string {
  const location = response.headers.get('location');
  if (response.status !== 303 || location === null) {
    throw new Error(`${what} answered ${response.status}, not a 303 with a Location`);
  }
  return location;
}

/**
 * A started and authorized login, stopped before the callback: the callback request (path and
 * handshake cookie) the browser would send next. `server` is http://127.0.0.1:<port>.
 */
export async function preparedCallback(server: string, devwiki: Devwiki): Promise<LoadRequest> {
  const initiate = await fetch(`${server}/api/mwoauth/initiate?next=/profile`, { redirect: 'manual' });
  const authorize = expect303(initiate, 'initiate');
  const handshake = cookiesOf(initiate).get('mwoauth_handshake');
  if (handshake === undefined) throw new Error('initiate set no handshake cookie');
  const callback = new URL(await devwiki.approve(authorize, 'Alice'));
  return {
    path: `${callback.pathname}${callback.search}`,
    headers: { cookie: `mwoauth_handshake=${handshake}` },
  };
}

/** `count` prepared callbacks, a few at a time. */
export async function preparedCallbacks(
  server: string,
  devwiki: Devwiki,
  count: number,
): Promise<LoadRequest[]> {
  const prepared: LoadRequest[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, () => preparedCallback(server, devwiki));
    prepared.push(...(await Promise.all(batch)));
  }
  return prepared;
}

/** Logs in through `server` and returns the Cookie header that carries the login. */
export async function loginCookie(server: string, devwiki: Devwiki): Promise<string> {
  const callback = await preparedCallback(server, devwiki);
  const response = await fetch(`${server}${callback.path}`, {
    redirect: 'manual',
    headers: callback.headers,
  });
  expect303(response, 'callback');
  const session = cookiesOf(response).get('mwoauth_session');
  if (session === undefined || session === '') throw new Error('the callback set no login cookie');
  return `mwoauth_session=${session}`;
}
