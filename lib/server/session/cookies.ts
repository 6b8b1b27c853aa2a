import 'server-only';

// The cookie stores the session code reads and writes, with our attributes bound once per request:
// HttpOnly, SameSite=Lax, Path=/, and Secure unless the origin is plain-HTTP
// loopback (origin.ts secureCookiesFor). Callers pass NextRequest.cookies, NextResponse.cookies or
// next/headers' cookies(), so route handlers stay plain functions of a Request.

/** The part of a cookie store we read (NextRequest.cookies, next/headers cookies()). */
export interface CookieReader {
  get(name: string): { value: string } | undefined;
}

/** A response's cookies with our attributes chosen; maxAgeS 0 deletes the cookie. */
export interface CookieWriter {
  set(name: string, value: string, maxAgeS: number): void;
}

export interface CookieAttributes {
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'lax';
  path: string;
  maxAge: number;
}

/** Anything with a `set(name, value, options)`: NextResponse.cookies, next/headers cookies(). */
export interface RawCookieStore {
  set(name: string, value: string, options: CookieAttributes): unknown;
}

export function cookieAttributes(secure: boolean, maxAge: number): CookieAttributes {
  return { httpOnly: true, secure, sameSite: 'lax', path: '/', maxAge };
}

/** Binds our attributes (and `secure`) to `cookies`. */
export function cookieWriter(cookies: RawCookieStore, secure: boolean): CookieWriter {
  return {
    set(name: string, value: string, maxAgeS: number): void {
      cookies.set(name, value, cookieAttributes(secure, maxAgeS));
    },
  };
}

/**
 * A CookieWriter that remembers its writes, for code that decides which response to send only
 * after the session was saved or ended (a refresh, then the wiki's answer): `replay` them onto it.
 */
export interface CookieRecorder extends CookieWriter {
  readonly writes: ReadonlyArray<readonly [name: string, value: string, maxAgeS: number]>;
  replay(to: CookieWriter): void;
}

export function cookieRecorder(): CookieRecorder {
  const writes: Array<readonly [string, string, number]> = [];
  return {
    writes,
    set(name, value, maxAgeS) {
      writes.push([name, value, maxAgeS]);
    },
    replay(to) {
      for (const [name, value, maxAgeS] of writes) to.set(name, value, maxAgeS);
    },
  };
}
