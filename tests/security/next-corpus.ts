// `next` values an attacker would try for an open redirect, grouped by kind.
// `{origin}` and `{host}` stand for the app's own origin and host (http://localhost:1234,
// localhost:1234), filled in by nextCases(). Each value is sent percent-encoded, as a browser sends
// a link's query; `raw` entries are query strings sent exactly as written; `repeated` entries send
// the parameter more than once.

export type NextValue = string | { raw: string } | { repeated: readonly string[] };

/** Values that are our own pages: they must come back exactly (so the test can fail). */
export const SAME_ORIGIN_CONTROLS: readonly string[] = [
  '/profile',
  '/sandbox?x=1#top',
  '/?notice=loggedout',
  '/profile#//evil.example',
  '/@evil.example',
  '/evil.example',
  '/a/b/../c',
  '/%2F%2Fevil.example',
];

export const NEXT_CORPUS: Readonly<Record<string, readonly NextValue[]>> = {
  'other origins': [
    'https://evil.example',
    'https://evil.example/',
    'http://evil.example/profile',
    'HTTPS://EVIL.EXAMPLE',
    'https:evil.example',
    'https:/evil.example',
    'http:\\\\evil.example',
    'ftp://evil.example/',
    'ws://evil.example/',
    'http://localhost:1/',
    'http://127.0.0.1:1/',
    'https://{host}/profile',
    'http://[::1]/',
    'http://0x7f.1/',
  ],
  'protocol-relative': [
    '//evil.example',
    '//evil.example/profile',
    '///evil.example',
    '////evil.example',
    '//evil.example:443',
    '//{host}.evil.example',
    '//%65vil.example',
  ],
  backslashes: [
    '/\\evil.example',
    '\\\\evil.example',
    '\\/evil.example',
    '/\\/evil.example',
    '/\\\\evil.example',
    '\\evil.example',
    '/.\\evil.example',
  ],
  'control characters and spaces': [
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    '\t//evil.example',
    '\n//evil.example',
    ' //evil.example',
    '  /\\evil.example',
    '/\u0000/evil.example',
    '\u0000//evil.example',
    '/\u000b/evil.example',
    '/\u007f/evil.example',
    '\u00a0//evil.example',
    '\u3000//evil.example',
    '\ufeff//evil.example',
    '/\u2028/evil.example',
    '/ /evil.example',
  ],
  'percent-encoded': [
    '%2F%2Fevil.example',
    '/%2F/evil.example',
    '/%2f%2fevil.example',
    '%2F%5Cevil.example',
    '/%5Cevil.example',
    '/%09/evil.example',
    '/%0A/evil.example',
    '/%00/evil.example',
    'https%3A%2F%2Fevil.example',
    '%68ttps://evil.example',
    { raw: 'next=%2F%2Fevil.example' },
    { raw: 'next=%2F%5Cevil.example' },
    { raw: 'next=%2F%09%2Fevil.example' },
    { raw: 'next=+%2F%2Fevil.example' },
    { raw: 'next=%E3%80%80%2F%2Fevil.example' },
    { raw: 'next=%C0%AF%C0%AFevil.example' },
    { raw: 'next=%ZZ%2F%2Fevil.example' },
  ],
  'double-encoded': [
    '%252F%252Fevil.example',
    '/%252F/evil.example',
    '/%255Cevil.example',
    'https%253A%252F%252Fevil.example',
    { raw: 'next=%252F%252Fevil.example' },
    { raw: 'next=%25252F%25252Fevil.example' },
  ],
  'dot segments': [
    '/.//evil.example',
    '/./evil.example',
    '/../evil.example',
    '/..//evil.example',
    '/../../evil.example',
    '/a/..//evil.example',
    '/./..//evil.example',
    '/%2e%2e//evil.example',
    '/%2e//evil.example',
    '/.%2F/evil.example',
    '/profile/../..//evil.example',
  ],
  userinfo: [
    'https://ours@evil.example',
    '{origin}@evil.example',
    'http://{host}@evil.example/',
    '//{host}@evil.example',
    '//ours:pw@evil.example',
    'https://evil.example\\@{host}',
    'https://evil.example#@{host}',
    'https://evil.example?@{host}',
    '{origin}.evil.example',
  ],
  'look-alike dots and hosts': [
    'https://evil\u3002example',
    '//evil\u3002example',
    '//evil\uff0eexample',
    '//evil\uff61example',
    'https://\u24d4vil.example',
    '//xn--vil-8cd.example',
    '//evil.example%E3%80%82',
    '/\u2215evil.example',
    '/\u2044evil.example',
    '/\uff0f/evil.example',
  ],
  'script and data schemes': [
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'java\tscript:alert(1)',
    ' javascript:alert(1)',
    'javascript://%0aalert(1)',
    'javascript:/\\/evil.example',
    'data:text/html,<script>alert(1)</script>',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    'blob:https://evil.example/x',
    'file:///etc/passwd',
    'mailto:someone@evil.example',
  ],
  'over-long values': [
    `/${'a'.repeat(1023)}`,
    `/${'a'.repeat(1024)}`,
    `/${'a'.repeat(5000)}`,
    `//evil.example/${'a'.repeat(2000)}`,
    `${'/'.repeat(1500)}evil.example`,
    `/${'%2F'.repeat(400)}evil.example`,
  ],
  'duplicated parameters': [
    { repeated: ['/profile', '//evil.example'] },
    { repeated: ['//evil.example', '/profile'] },
    { repeated: ['https://evil.example', 'https://evil.example'] },
    { raw: 'next=/profile&next=//evil.example&next=/\\evil.example' },
    { raw: 'next&next=//evil.example' },
    { raw: 'next[]=//evil.example' },
    { raw: 'Next=//evil.example' },
  ],
  'the auth routes themselves': [
    '/api/mwoauth/initiate',
    '/api/mwoauth/logout',
    '/api/mwoauth/callback?oauth_token=x&oauth_verifier=y',
    '/api/mwoauth/initiate?next=//evil.example',
    '/api/mwoauth/revoked',
    '/api/mwoauth',
    '/api/mwoauth/',
    '/api//mwoauth/logout',
    '/api/mwoauth/../mwoauth/logout',
    '/api/%6Dwoauth/logout',
    '/profile/../api/mwoauth/logout',
    '/api//mwoauth/initiate',
    '/api///mwoauth//initiate',
    '/API/MWOAuth/initiate',
    '/api%2Fmwoauth/initiate',
  ],
};

export interface NextCase {
  kind: string;
  /** What is shown in a failure message (control characters escaped, long values cut). */
  label: string;
  /** The query string, without '?'. */
  query: string;
  /** Same-origin controls: the path the redirect must keep. */
  expectPath: string | null;
}

function fill(value: string, origin: string): string {
  return value.replaceAll('{origin}', origin).replaceAll('{host}', new URL(origin).host);
}

function label(value: string): string {
  const shown = JSON.stringify(value);
  return shown.length > 80 ? `${shown.slice(0, 77)}…" (${value.length} chars)` : shown;
}

/** Every case of the corpus, plus the controls, as query strings for `origin`. */
export function nextCases(origin: string): NextCase[] {
  const cases: NextCase[] = [];
  for (const [kind, values] of Object.entries(NEXT_CORPUS)) {
    for (const value of values) {
      if (typeof value === 'string') {
        const v = fill(value, origin);
        cases.push({ kind, label: label(v), query: `next=${encodeURIComponent(v)}`, expectPath: null });
      } else if ('raw' in value) {
        const raw = fill(value.raw, origin);
        cases.push({ kind, label: `raw ${label(raw)}`, query: raw, expectPath: null });
      } else {
        const vs = value.repeated.map((v) => fill(v, origin));
        cases.push({
          kind,
          label: `repeated ${vs.map(label).join(', ')}`,
          query: vs.map((v) => `next=${encodeURIComponent(v)}`).join('&'),
          expectPath: null,
        });
      }
    }
  }
  for (const value of SAME_ORIGIN_CONTROLS) {
    cases.push({
      kind: 'same-origin controls',
      label: label(value),
      query: `next=${encodeURIComponent(value)}`,
      expectPath: value,
    });
  }
  return cases;
}

/** How many attack values the corpus holds (the controls not counted). */
export function corpusSize(): number {
  return Object.values(NEXT_CORPUS).reduce((n, values) => n + values.length, 0);
}
