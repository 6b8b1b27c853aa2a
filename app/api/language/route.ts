import { NextResponse, type NextRequest } from 'next/server';
import { languageCodeOf, WIKI_LANGUAGE_COOKIE } from '@/lib/server/i18n';
import { routeContext, seeOther } from '@/lib/server/http/routes';
import { nextUrl } from '@/lib/server/http/safe-next';
import { secureCookiesFor } from '@/lib/server/http/origin';

/**
 * GET /api/language?wiki=<code>&next=<path> — remembers the logged-in user's wiki language
 * preference (read by the profile page, which cannot set a cookie) in WIKI_LANGUAGE_COOKIE, then
 * 303 to next with `langset=1` (the page then does not ask again, even when cookies are refused).
 * Another site could make a browser call this: all it can change is the language of the pages.
 */
export function GET(request: NextRequest): NextResponse {
  const ctx = routeContext(request);
  if (ctx instanceof NextResponse) return ctx;
  const { origin } = ctx;
  const url = nextUrl(request.nextUrl.searchParams.get('next'), origin);
  url.searchParams.set('langset', '1');
  const response = seeOther(url);
  const code = languageCodeOf(request.nextUrl.searchParams.get('wiki'));
  if (code !== null) {
    response.cookies.set(WIKI_LANGUAGE_COOKIE, code, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: secureCookiesFor(origin),
    });
  }
  return response;
}
