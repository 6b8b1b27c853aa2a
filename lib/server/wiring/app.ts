import 'server-only';
import { getConfig, type AppConfig } from '../config';
import type { LoginFlow } from '../login/flow';
import { oauth1Flow } from '../login/oauth1';
import { oauth2Flow } from '../login/oauth2';
import { memoryRateLimiter } from '../rate-limit/memory';
import type { RateLimiter } from '../rate-limit/limiter';
import { createRedisRateLimiter } from '../rate-limit/redis';
import { redisConnection } from '../redis/connection';
import { cookieStore } from '../session/cookie-store';
import { createRedisStore } from '../session/redis-store';
import type { SessionStore } from '../session/store';

// The composition root: the ONE place that picks the login flow (the protocol) and the session
// store from the configuration (CONTRIBUTING.md, "Two axes"). Handlers, proxy.ts and auth.ts take them
// from here and never branch on either.

export interface App {
  readonly config: AppConfig;
  readonly flow: LoginFlow;
  readonly store: SessionStore;
  /**
   * The initiate rate limit (INITIATE_RATE_LIMIT), or null when it is turned off: in this process's
   * memory with the cookie store, counted in Redis across every instance with the Redis store.
   */
  readonly initiateLimiter: RateLimiter | null;
}

const apps = new WeakMap<AppConfig, App>();

/** The login flow for the configured protocol (MW_OAUTH_VERSION). */
function flowFor(config: AppConfig): LoginFlow {
  return config.protocol === '2.0' ? oauth2Flow(config) : oauth1Flow(config);
}

/** The session store for SESSION_STORE: sealed cookies (the default) or Redis at REDIS_URL. */
function storeFor(config: AppConfig): SessionStore {
  if (config.store.kind === 'cookie') return cookieStore(config.session);
  // One connection per process and URL (redis/connection.ts): nothing connects before the first call.
  return createRedisStore({
    connection: redisConnection(config.store.url),
    session: config.session,
    keyPrefix: config.store.keyPrefix,
  });
}

/** The initiate limiter beside the store: Redis mode counts across instances. */
function initiateLimiterFor(config: AppConfig): RateLimiter | null {
  const limit = config.initiateRateLimit;
  if (limit === null) return null;
  if (config.store.kind === 'cookie') return memoryRateLimiter(limit);
  return createRedisRateLimiter({
    connection: redisConnection(config.store.url),
    limit,
    session: config.session,
    keyPrefix: config.store.keyPrefix,
  });
}

/** The app for the current configuration (getConfig: throws AppError `invalid_config`); memoised per configuration object. */
export function getApp(): App {
  const config = getConfig();
  let app = apps.get(config);
  if (app === undefined) {
    app = {
      config,
      flow: flowFor(config),
      store: storeFor(config),
      initiateLimiter: initiateLimiterFor(config),
    };
    apps.set(config, app);
  }
  return app;
}
