import 'server-only';

// What every reader of the environment shares: the environment's type and URL parsing.

export type Env = Readonly<Record<string, string | undefined>>;

/** `value` as an http(s) URL, or null (the readers turn null into a problem naming the variable). */
export function parseHttpUrl(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}
