import type { NextRequest, NextResponse } from 'next/server';
import { unavailableResponse } from '@/lib/server/http/routes';

/**
 * GET /api/mwoauth/unavailable — the 503 "login service unavailable" page, for a page whose render
 * found Redis gone after proxy.ts had read the session (lib/server/auth.ts): a page cannot set its
 * status, a route handler can. It reads nothing, so it answers whatever state Redis is in.
 */
export function GET(request: NextRequest): NextResponse {
  return unavailableResponse(request);
}

/** Answered per request, never prerendered at build time. */
export const dynamic = 'force-dynamic';
