// Logging in against a server under test (the app, or the physical floor: same paths), over HTTP
// from the bench process, with devwiki pressing Allow: to get a login cookie (and the Set-Cookie
// headers that carried it, for section 3's sizes), or to stop just before the callback so that the
// callback alone can be measured (it is single use).
import type { Devwiki } from '@/devwiki';
import type { LoadRequest } from './load';

/** A cookie as one Set-Cookie header sent it. */
export interface SentCookie {
  name: string;
  /** Its value exactly as sent. */
  value: string;
  /** The whole header: `name=value` and the attributes. */
  header: string;
}

/** Each Set-Cookie of `response`, by name. */
function cookiesOf(response: Response): Map<string, SentCookie> {
  const cookies = new Map<string, SentCookie>();
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0)
      cookies.set(pair.slice(0, eq), { name: pair.slice(0, eq), value: pair.slice(eq + 1), header });
  }
  return cookies;
}

/** A login started and authorized, stopped before the callback. */
interface StartedLogin {
  /** The callback request (path and handshake cookie) the browser would send next. */
  callback: LoadRequest;
  /** The handshake cookie as initiate set it. */
  handshake: SentCookie;
}

function expect303(response: Response, what: string): string {
  const location = response.headers.get('location');
  if (response.status !== 303 || location === null) {
    throw new Error(`${what} answered ${response.status}, not a 303 with a Location`);
  }
  return location;
}

/** Starts a login of `username` through `server` (http://127.0.0.1:<port>) and presses Allow. */
async function startLogin(server: string, devwiki: Devwiki, username: string): Promise<StartedLogin> {
  const initiate = await fetch(`${server}/api/mwoauth/initiate?next=/profile`, { redirect: 'manual' });
  const authorize = expect303(initiate, 'initiate');
  const handshake = cookiesOf(initiate).get('mwoauth_handshake');
  if (handshake === undefined) throw new Error('initiate set no handshake cookie');
  const callback = new URL(await devwiki.approve(authorize, username));
  return {
    callback: {
      path: `${callback.pathname}${callback.search}`,
      headers: { cookie: `mwoauth_handshake=${handshake.value}` },
    },
    handshake,
  };
}

/** A started and authorized login of Alice, stopped before the callback: the callback request. */
export async function preparedCallback(server: string, devwiki: Devwiki): Promise<LoadRequest> {
  return (await startLogin(server, devwiki, 'Alice')).callback;
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

/** A finished login: what the browser sends from now on, and the cookies that got it there. */
export interface LoggedIn {
  /** The Cookie header that carries the login. */
  cookie: string;
  /** The handshake cookie as initiate set it (one login in progress). */
  handshake: SentCookie;
  /** The login cookie as the callback set it. */
  login: SentCookie;
}

/** Logs `username` (default Alice) in through `server`, as a browser would. */
export async function logIn(server: string, devwiki: Devwiki, username = 'Alice'): Promise<LoggedIn> {
  const { callback, handshake } = await startLogin(server, devwiki, username);
  const response = await fetch(`${server}${callback.path}`, {
    redirect: 'manual',
    headers: callback.headers,
  });
  expect303(response, 'callback');
  const login = cookiesOf(response).get('mwoauth_session');
  if (login === undefined || login.value === '') throw new Error('the callback set no login cookie');
  return { cookie: `mwoauth_session=${login.value}`, handshake, login };
}

/** Logs Alice in through `server` and returns the Cookie header that carries the login. */
export async function loginCookie(server: string, devwiki: Devwiki): Promise<string> {
  return (await logIn(server, devwiki)).cookie;
}
