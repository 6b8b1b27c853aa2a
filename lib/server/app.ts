import 'server-only';
import { getConfig, type AppConfig } from './config';
import type { LoginFlow } from './login/flow';
import { oauth1Flow } from './login/oauth1';
import { oauth2Flow } from './login/oauth2';
import { cookieStore } from './session/cookie-store';
import type { SessionStore } from './session/store';

// The composition root: the ONE place that picks the login flow (the protocol) and the session
// store from the configuration (DESIGN.md "Two axes"). Handlers, proxy.ts and auth.ts take them
// from here and never branch on either.

export interface App {
  readonly config: AppConfig;
  readonly flow: LoginFlow;
  readonly store: SessionStore;
}

const apps = new WeakMap<AppConfig, App>();

/** The login flow for the configured protocol (MW_OAUTH_VERSION). */
function flowFor(config: AppConfig): LoginFlow {
  return config.protocol === '2.0' ? oauth2Flow(config) : oauth1Flow(config);
}

/** The session store for the configured store. Today only sealed cookies (session/cookie-store.ts). */
function storeFor(config: AppConfig): SessionStore {
  // SESSION_STORE=redis picks session/redis-store.ts here.
  return cookieStore(config.session);
}

/** The app for the current configuration (getConfig: throws AppError `invalid_config`); memoised per configuration object. */
export function getApp(): App {
  const config = getConfig();
  let app = apps.get(config);
  if (app === undefined) {
    app = { config, flow: flowFor(config), store: storeFor(config) };
    apps.set(config, app);
  }
  return app;
}
