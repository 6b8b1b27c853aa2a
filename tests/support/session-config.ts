// For tests/app (where 'server-only' is aliased away): a SessionConfig as lib/server/config.ts
// builds one from SESSION_SECRET=first,second,… (the first secret seals; all of them unseal).
import { passwordIdFor, type SessionConfig } from '@/lib/server/config';

export function sessionConfig(...secrets: string[]): SessionConfig {
  const passwords: Record<string, string> = {};
  for (const s of secrets) passwords[passwordIdFor(s)] = s;
  return { passwords, currentPasswordId: passwordIdFor(secrets[0] ?? '') };
}
