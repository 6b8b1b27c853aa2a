import { readConfig, type Env, type OAuth1AppConfig } from '@/lib/server/config';

/** readConfig for an environment without MW_OAUTH_VERSION (OAuth 1.0a), narrowed to its type. */
export function readOAuth1Config(env: Env): OAuth1AppConfig {
  const config = readConfig(env);
  if (config.protocol !== '1.0a')
    throw new Error(`expected an OAuth 1.0a configuration, got ${config.protocol}`);
  return config;
}
