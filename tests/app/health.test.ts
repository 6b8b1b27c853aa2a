import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GET as health, HEAD as healthHead } from '@/app/healthz/route';
import { configureFor, testConsumer } from '@/tests/support/app-harness';

// /healthz is what Toolforge's webservice (--health-check-path) and uptime monitors probe. It must
// not ask the wiki (none is running here: the index URL points at a closed port) and must not say
// "ok" when every login would fail.

const savedEnv = { ...process.env };
const CONSUMER = testConsumer();
const NO_WIKI = { indexUrl: 'http://127.0.0.1:1/w/index.php' };

beforeEach(() => {
  configureFor(NO_WIKI, CONSUMER);
});
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

describe('GET /healthz', () => {
  it('should answer 200 ok, plain text, never cached, without asking the wiki', async () => {
    const response = await health();
    expect(response.status).toBe(200);
    await expect(response.text()).resolves.toBe('ok\n');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('should answer 503 naming the broken variables, and no value, when the configuration is invalid', async () => {
    process.env.SESSION_SECRET = 'short-and-secret';
    delete process.env.MW_CONSUMER_KEY;
    const response = await health();
    expect(response.status).toBe(503);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await response.text();
    expect(body).toMatch(/^unavailable: .*\n$/);
    expect(body.trim().split('\n')).toHaveLength(1);
    expect(body).toContain('MW_CONSUMER_KEY');
    expect(body).toContain('SESSION_SECRET');
    expect(body).not.toContain('short-and-secret');
    expect(body).not.toContain(CONSUMER.secret);
  });

  it('should answer 503 in production without APP_URL (every redirect would point at the internal address)', async () => {
    configureFor(NO_WIKI, CONSUMER, {
      NODE_ENV: 'production',
      USER_AGENT: 'health-test/1.0 (https://health-test.toolforge.org; ops@wikimedia.example)',
      APP_URL: '',
    });
    const response = await health();
    expect(response.status).toBe(503);
    await expect(response.text()).resolves.toContain('(APP_URL)');
  });
});

describe('HEAD /healthz', () => {
  it('should answer with the status and headers of GET and no body', async () => {
    const ok = await healthHead();
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.body).toBeNull();

    delete process.env.SESSION_SECRET;
    const broken = await healthHead();
    expect(broken.status).toBe(503);
    expect(broken.body).toBeNull();
  });
});
