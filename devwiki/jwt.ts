// Special:OAuth/identify's JWT, exactly as the recorded wiki signs it (fixtures 07, 31b), and the
// forged variants tests ask for with setFault('identify', {kind: 'forged-identify', ...}).
import { SignJWT, UnsecuredJWT } from 'jose';
import type { DevwikiForgery } from './types';

export type IdentifyClaims = Record<string, unknown> & { iat: number; exp: number };

const encoder = new TextEncoder();

/**
 * HS256 keyed with the consumer secret, header {"typ":"JWT","alg":"HS256"} in that order; the claims
 * keep their insertion order (iss, aud, exp, iat, sub, ..., nonce), as in the recorded token.
 */
export async function signIdentifyJwt(claims: IdentifyClaims, consumerSecret: string): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'JWT', alg: 'HS256' })
    .sign(encoder.encode(consumerSecret));
}

/** A JWT with one defect a careful client must catch; everything else as the real one. */
export async function forgeIdentifyJwt(
  claims: IdentifyClaims,
  consumerSecret: string,
  forgery: DevwikiForgery,
): Promise<string> {
  const c: Record<string, unknown> = { ...claims };
  const { iat } = claims;
  switch (forgery) {
    case 'alg-none':
      return new UnsecuredJWT(c).encode();
    case 'hs512':
      return new SignJWT(c)
        .setProtectedHeader({ typ: 'JWT', alg: 'HS512' })
        .sign(encoder.encode(consumerSecret));
    case 'wrong-key':
      return signIdentifyJwt(claims, `${consumerSecret}-not-the-secret`);
    case 'wrong-aud':
      c.aud = '00000000000000000000000000000000';
      break;
    case 'wrong-iss':
      c.iss = 'https://evil.example.org';
      break;
    case 'wrong-nonce':
      c.nonce = 'not-the-nonce-you-sent';
      break;
    case 'expired':
      // Issued 10 minutes ago, so exp (= iat + 100) passed long ago.
      c.iat = iat - 600;
      c.exp = iat - 500;
      break;
    case 'stale':
      // iat an hour old while exp still lies ahead: only an iat age check catches it.
      c.iat = iat - 3600;
      c.exp = iat + 100;
      break;
    case 'future-iat':
      c.iat = iat + 3600;
      c.exp = iat + 3700;
      break;
    case 'missing-claims':
      delete c.sub;
      delete c.username;
      delete c.nonce;
      break;
  }
  return new SignJWT(c).setProtectedHeader({ typ: 'JWT', alg: 'HS256' }).sign(encoder.encode(consumerSecret));
}
