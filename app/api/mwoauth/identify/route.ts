import { withUser } from '@/lib/server/auth';

/**
 * GET /api/mwoauth/identify — who the logged-in user is, asked of the wiki now, as JSON: the same
 * fields with either protocol (lib/mwoauth UserProfile: identify's verified JWT with OAuth 1.0a,
 * rest.php/oauth2/resource/profile with 2.0). 401 when logged out or when the wiki ended the
 * session (withUser ends it). The access token itself is never in the answer.
 */
export const GET = withUser(async (_request, user) => Response.json(await user.identify()));
