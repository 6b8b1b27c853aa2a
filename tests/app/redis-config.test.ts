import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readStoreConfig, redactedRedisUrl, type Env, type StoreConfig } from '@/lib/server/config/redis';

// SESSION_STORE, REDIS_URL and REDIS_KEY_PREFIX: every problem named with its fix, no value printed.

const PASSWORD = 'S3cret-Redis-Pass-word';

function read(env: Env): { config: StoreConfig; problems: string[] } {
  const problems: string[] = [];
  return { config: readStoreConfig(env, problems), problems };
}

describe('readStoreConfig', () => {
  it('should default to the cookie store', () => {
    expect(read({})).toEqual({ config: { kind: 'cookie' }, problems: [] });
    expect(read({ SESSION_STORE: ' Cookie ' })).toEqual({ config: { kind: 'cookie' }, problems: [] });
    // REDIS_URL alone does not switch stores.
    expect(read({ REDIS_URL: 'redis://127.0.0.1:6379' }).config.kind).toBe('cookie');
  });

  it('should read a redis store with its URL and prefix', () => {
    const { config, problems } = read({
      SESSION_STORE: 'redis',
      REDIS_URL: `rediss://default:${PASSWORD}@redis.example.org:6380/2`,
      REDIS_KEY_PREFIX: 'mytool:0123456789abcdef:',
    });
    expect(problems).toEqual([]);
    expect(config).toEqual({
      kind: 'redis',
      url: `rediss://default:${PASSWORD}@redis.example.org:6380/2`,
      keyPrefix: 'mytool:0123456789abcdef:',
    });
    expect(read({ SESSION_STORE: 'REDIS', REDIS_URL: 'redis://127.0.0.1' }).config).toEqual({
      kind: 'redis',
      url: 'redis://127.0.0.1',
      keyPrefix: null,
    });
  });

  it('should print a redis config without the password', () => {
    const { config } = read({
      SESSION_STORE: 'redis',
      REDIS_URL: `redis://user:${PASSWORD}@h.example.org:6379`,
    });
    expect(JSON.stringify(config).includes(PASSWORD)).toBe(false);
    expect(inspect(config).includes(PASSWORD)).toBe(false);
    expect(JSON.stringify(config)).toContain('h.example.org');
    expect(redactedRedisUrl('rediss://h.example.org:6380/2')).toBe('rediss://h.example.org:6380/2');
    expect(redactedRedisUrl(`redis://user:${PASSWORD}@h.example.org`)).toBe(
      'redis://[redacted]@h.example.org',
    );
  });

  it.each([
    [{ SESSION_STORE: 'memcached' }, 'SESSION_STORE'],
    [{ SESSION_STORE: 'redis' }, 'REDIS_URL is not set'],
    [{ SESSION_STORE: 'redis', REDIS_URL: 'not a url' }, 'REDIS_URL is not a URL'],
    [{ SESSION_STORE: 'redis', REDIS_URL: `http://u:${PASSWORD}@h.example.org` }, 'redis:// or rediss://'],
    [
      { SESSION_STORE: 'redis', REDIS_URL: `redis://u:${PASSWORD}@h.example.org/keys?x=1` },
      'database number',
    ],
    [
      { SESSION_STORE: 'redis', REDIS_URL: 'redis://h.example.org', REDIS_KEY_PREFIX: 'short:' },
      'REDIS_KEY_PREFIX must be',
    ],
    [
      {
        SESSION_STORE: 'redis',
        REDIS_URL: 'redis://h.example.org',
        REDIS_KEY_PREFIX: 'my tool * 0123456789',
      },
      'REDIS_KEY_PREFIX may only',
    ],
  ])('should name the problem of %o and fall back to the cookie store', (env, expected) => {
    const { config, problems } = read(env);
    expect(config).toEqual({ kind: 'cookie' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
    expect(problems[0]?.includes(PASSWORD)).toBe(false);
  });

  it('should list every problem at once', () => {
    const { problems } = read({ SESSION_STORE: 'redis', REDIS_URL: 'ftp://x', REDIS_KEY_PREFIX: 'x' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^REDIS_URL/);
    expect(problems[1]).toMatch(/^REDIS_KEY_PREFIX/);
  });
});
