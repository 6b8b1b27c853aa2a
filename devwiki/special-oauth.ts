// Special:OAuth/initiate, /token and /identify: the machine endpoints of the handshake, with the
// bodies, content types and headers of the recorded wiki (fixtures 01, 05, 07, 21-26f, 29*).
import { nowSeconds, param, mwTimestamp, type WikiContext, type WikiRequest } from './context';
import type { WikiResponse } from './faults';
import { farmRefusal } from './farm';
import { forgeIdentifyJwt, signIdentifyJwt, type IdentifyClaims } from './jwt';
import { WikiError, type WikiMessage } from './messages';
import { oauthParam, type OAuthSources } from './oauth1';
import { fetchAccessToken, fetchRequestToken, verifyAccessRequest } from './oauth-server';
import { grantsClaim } from './rights';

type Format = 'raw' | 'json';

/** SpecialMWOAuth::showResponse headers: never cached. */
function specialResponse(body: string, format: Format): WikiResponse {
  return {
    status: 200,
    headers: {
      'X-Content-Type-Options': 'nosniff',
      Expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
      'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate',
      Pragma: 'no-cache',
      'Content-Type': format === 'json' ? 'application/json' : 'text/plain;charset=UTF-8',
    },
    body,
  };
}

/** SpecialMWOAuth::showError: 'Error: ' + escaped text, or JSON {error, message}; always HTTP 200. */
function errorResponse(message: WikiMessage, format: Format): WikiResponse {
  if (format === 'json') {
    return specialResponse(JSON.stringify({ error: message.key, message: message.plain() }), 'json');
  }
  return specialResponse(`Error: ${message.escaped()}`, 'raw');
}

function formatOf(req: WikiRequest): Format {
  return param(req, 'format') === 'json' ? 'json' : 'raw';
}

function tokenBody(key: string, secret: string, format: Format): string {
  if (format === 'json') return JSON.stringify({ key, secret, oauth_callback_confirmed: 'true' });
  return `oauth_token=${key}&oauth_token_secret=${secret}&oauth_callback_confirmed=true`;
}

function guarded(format: Format, run: () => WikiResponse): WikiResponse {
  try {
    return run();
  } catch (err) {
    if (err instanceof WikiError) return errorResponse(err.wikiMessage, format);
    throw err;
  }
}

export function initiate(ctx: WikiContext, req: WikiRequest, src: OAuthSources): WikiResponse {
  const format = formatOf(req);
  return guarded(format, () => {
    const token = fetchRequestToken(ctx, src);
    return specialResponse(tokenBody(token.key, token.secret, format), format);
  });
}

export function token(ctx: WikiContext, req: WikiRequest, src: OAuthSources): WikiResponse {
  const format = formatOf(req);
  return guarded(format, () => {
    const acceptance = fetchAccessToken(ctx, src);
    if (format === 'json') {
      return specialResponse(
        JSON.stringify({ key: acceptance.accessKey, secret: acceptance.accessSecret }),
        format,
      );
    }
    return specialResponse(tokenBody(acceptance.accessKey, acceptance.accessSecret, format), format);
  });
}

/** identify answers JSON errors whatever the format, and a bare JWT on success (fixtures 07, 12, 13). */
export async function identify(ctx: WikiContext, src: OAuthSources): Promise<WikiResponse> {
  let verified;
  try {
    verified = verifyAccessRequest(ctx, src);
    // Another wiki of the farm: the user's local account, then the consumer's wiki (farm-15, farm-18).
    const refusal = farmRefusal(ctx, verified.consumer, verified.user, 'identify');
    if (refusal !== null) throw new WikiError(refusal);
  } catch (err) {
    if (err instanceof WikiError) return errorResponse(err.wikiMessage, 'json');
    throw err;
  }
  const { consumer, acceptance, user } = verified;
  const now = nowSeconds(ctx);
  const grants = acceptance.grants;
  // Claim order as recorded: iss, aud, exp, iat, sub, username, ..., grants, [realname, email], nonce.
  const claims: IdentifyClaims = {
    iss: ctx.origin,
    aud: consumer.key,
    exp: now + 100,
    iat: now,
    sub: String(user.id),
    username: user.name,
    editcount: ctx.store.editCount(user),
    confirmed_email: user.emailAuthenticated !== null,
    blocked: user.block !== null,
    registered: mwTimestamp(user.registered),
    groups: user.groups,
    rights: user.rights,
    grants: grantsClaim(grants),
  };
  if (grants.includes('privateinfo') || grants.includes('mwoauth-authonlyprivate')) {
    claims.realname = user.realname;
    claims.email = user.email;
  }
  claims.nonce = oauthParam(src, 'oauth_nonce') ?? '';
  const jwt =
    ctx.forgery === null
      ? await signIdentifyJwt(claims, consumer.secret)
      : await forgeIdentifyJwt(claims, consumer.secret, ctx.forgery);
  return specialResponse(jwt, 'json');
}
