// A sessionJwt cookie value as Wikimedia's wikis size it, for tests and bench/wikimedia-node.ts.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const nowS = (): number => Math.floor(Date.now() / 1000);

/**
 * A sessionJwt as production sizes it: core's JwtSessionCookieHelper claims (iss, sub
 * `mw:CentralAuth::<id>`, iat, sxp, jti of 16 random bytes) signed RS256 with a 2048-bit key (the
 * algorithm and key size Wikimedia uses are not in the sources found; RS256/2048 is the larger of
 * the usual choices, an ES256 signature is 86 characters instead of 342).
 */
export function productionSizedSessionJwt(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = nowS();
  const head = b64({ typ: 'JWT', alg: 'RS256' });
  const body = b64({
    iss: 'https://meta.wikimedia.org',
    sub: 'mw:CentralAuth::123456789',
    iat,
    sxp: iat + 4 * 3600,
    jti: randomBytes(16).toString('base64'),
  });
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url');
  return `${head}.${body}.${signature}`;
}
