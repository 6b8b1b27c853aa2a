import 'server-only';
import { connection } from 'next/server';
import { getCurrentUser, type WikiUser } from '@/lib/server/auth';
import { getConfig, type AppConfig } from '@/lib/server/config';
import { AppError } from '@/lib/server/core/errors';

/** What every page needs: the configuration (or its problems) and the current user. */
export type SiteState =
  | { readonly ok: true; readonly config: AppConfig; readonly user: WikiUser | null }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Like getCurrentUser(), but a broken configuration is a state to show, not a crash. */
export async function getSiteState(): Promise<SiteState> {
  // Rendered per request, never at build time (when there is no configuration to read).
  await connection();
  try {
    const config = getConfig();
    return { ok: true, config, user: await getCurrentUser() };
  } catch (error) {
    if (error instanceof AppError && error.code === 'invalid_config') {
      return { ok: false, problems: error.problems };
    }
    throw error;
  }
}
