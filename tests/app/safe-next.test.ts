import { describe, expect, it } from 'vitest';
import { MAX_NEXT_LENGTH, nextUrl, safeNext } from '@/lib/server/http/safe-next';

describe('safeNext', () => {
  it.each([
    ['/', '/'],
    ['/profile', '/profile'],
    ['/sandbox?x=1#top', '/sandbox?x=1#top'],
    ['/a/../profile', '/profile'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/caf\u00e9', '/caf%C3%A9'],
  ])('should keep the same-origin path %j', (value, expected) => {
    expect(safeNext(value)).toBe(expected);
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['a number', 42],
    ['an array', ['/profile']],
    ['empty', ''],
    ['another origin', 'https://evil.example/'],
    ['protocol-relative', '//evil.example'],
    ['triple slash', '///evil.example'],
    ['a backslash', '/\\evil.example'],
    ['a backslash after slashes', '//\\evil.example'],
    ['a tab inside', '/\t/evil.example'],
    ['a newline inside', '/\n/evil.example'],
    ['a carriage return', '/\r/evil.example'],
    ['a NUL', '/\u0000/evil.example'],
    ['a leading space', ' /profile'],
    ['a non-breaking space', '/\u00a0/evil.example'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['userinfo', 'https://ours@evil.example'],
    ['a relative path', 'profile'],
    ['dot segments to protocol-relative', '/.//evil.example'],
    ['dot-dot segments to protocol-relative', '/..//evil.example'],
    ['the initiate route', '/api/mwoauth/initiate?next=/'],
    ['the logout route', '/api/mwoauth/logout'],
    ['the auth prefix itself', '/api/mwoauth'],
    ['the auth routes via dot segments', '/x/../api/mwoauth/callback'],
    ['a double slash inside the auth prefix', '/api//mwoauth/initiate'],
    ['a double slash before the auth prefix', '//api/mwoauth/initiate'],
    ['repeated slashes inside the auth prefix', '/api///mwoauth//logout'],
    ['a double slash anywhere in the path', '/profile//x'],
    ['the auth prefix in capitals', '/API/MWOAuth/initiate'],
    ['the auth prefix percent-encoded', '/api/%6Dwoauth/initiate'],
    ['an encoded slash inside the auth prefix', '/api%2Fmwoauth/initiate'],
    ['an encoded double slash inside the auth prefix', '/api/%2Fmwoauth/initiate'],
    ['over-long', `/${'a'.repeat(MAX_NEXT_LENGTH)}`],
  ])('should turn %s into /', (_what, value) => {
    expect(safeNext(value)).toBe('/');
  });
});

describe('nextUrl', () => {
  it('should build an absolute URL on our own origin', () => {
    expect(nextUrl('/profile', 'https://tool.example').href).toBe('https://tool.example/profile');
  });

  it('should stay on our origin whatever it is given', () => {
    for (const value of ['//evil.example', 'https://evil.example', '/\\evil.example', '/.//evil.example']) {
      expect(nextUrl(value, 'https://tool.example').origin).toBe('https://tool.example');
    }
  });
});
