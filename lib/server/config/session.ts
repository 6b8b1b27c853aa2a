import 'server-only';
import { createHash } from 'node:crypto';
import { printedAs, redactedPasswords, redactedSession } from './redact';

// SESSION_SECRET: the secrets that seal every cookie (and, later, the Redis store's values).

export interface SessionConfig {
  /**
   * iron-session password map: every secret of `SESSION_SECRET` under an id derived from the
   * secret itself, so a cookie sealed under a secret still unseals after any number of rotations
   * for as long as that secret stays in the list (positional ids would shift and log everyone out).
   */
  readonly passwords: Readonly<Record<string, string>>;
  /** The id of the first (current) secret: new cookies are sealed with it. */
  readonly currentPasswordId: string;
}

/** iron-session (and the Fe26 seal it uses) needs at least 32 characters of password. */
export const MIN_SECRET_LENGTH = 32;

/**
 * Secrets published in documentation and examples: anyone can forge a session sealed with them.
 * Compared after trimming and lower-casing.
 */
const WELL_KNOWN_SECRETS: readonly string[] = [
  // iron-session's README and examples
  'complex_password_at_least_32_characters_long',
  'complex_password_at_least_32_characters_long_and_more',
  // What people paste from tutorials and our own .env.example comments
  'replace-me-with-at-least-32-random-characters',
  'change-me-to-at-least-32-random-characters',
  'your-secret-key-at-least-32-characters-long',
  'this-is-a-secret-value-with-at-least-32-characters',
  'at-least-32-characters-long-secret-key',
];

/** The password id iron-session stores in each seal: decimal (it picks the current one by number). */
export function passwordIdFor(secret: string): string {
  const digest = createHash('sha256').update(`next-mwoauth session password id\0${secret}`).digest('hex');
  // 48 bits: exact in a double, and a collision between two secrets of one list is negligible.
  return String(parseInt(digest.slice(0, 12), 16) + 1);
}

function checkSecret(secret: string, position: string, problems: string[]): void {
  if (secret.length < MIN_SECRET_LENGTH) {
    problems.push(
      `SESSION_SECRET${position} is ${secret.length} characters long; it needs at least ${MIN_SECRET_LENGTH} random characters (generate one with: openssl rand -base64 32).`,
    );
    return;
  }
  if (WELL_KNOWN_SECRETS.includes(secret.trim().toLowerCase())) {
    problems.push(
      `SESSION_SECRET${position} is a published example value, so anyone could forge a session; generate your own with: openssl rand -base64 32.`,
    );
    return;
  }
  // 'aaaa…' or '0123012301230123…' pass the length check but are guessable.
  if (new Set(secret).size < 10) {
    problems.push(
      `SESSION_SECRET${position} repeats too few different characters to be secret; generate one with: openssl rand -base64 32.`,
    );
  }
}

export function readSessionSecrets(raw: string | undefined, problems: string[]): SessionConfig | null {
  if (raw === undefined || raw.trim() === '') {
    problems.push(
      'SESSION_SECRET is not set: it seals the session cookies; set at least 32 random characters (openssl rand -base64 32).',
    );
    return null;
  }
  // Rotation: "new,old[,older]". The first seals new cookies; the others still unseal.
  const secrets = raw.split(',').map((s) => s.trim());
  const before = problems.length;
  secrets.forEach((secret, i) => {
    const position = secrets.length > 1 ? ` (entry ${i + 1} of ${secrets.length})` : '';
    if (secret === '') {
      problems.push(`SESSION_SECRET${position} is empty: remove the stray comma.`);
      return;
    }
    checkSecret(secret, position, problems);
  });
  if (new Set(secrets).size !== secrets.length) {
    problems.push(
      'SESSION_SECRET lists the same secret twice: keep each secret once, the current one first.',
    );
  }
  if (problems.length > before) return null;
  const passwords: Record<string, string> = {};
  for (const secret of secrets) passwords[passwordIdFor(secret)] = secret;
  const first = secrets[0];
  if (first === undefined) return null;
  const session: SessionConfig = {
    passwords: printedAs(passwords, () => redactedPasswords(passwords)),
    currentPasswordId: passwordIdFor(first),
  };
  return printedAs(session, () => redactedSession(session));
}
