import { describe, expect, it } from 'vitest';
import { environment, loadFixture, oauth1FixtureNames } from '../support/fixtures';

describe('the recorded fixtures', () => {
  it('should hold every OAuth 1.0a exchange with a request and a response', () => {
    const names = oauth1FixtureNames();
    expect(names.length).toBeGreaterThanOrEqual(60);
    for (const name of names) {
      const f = loadFixture(name);
      expect(f.request.url, name).toMatch(/^http:\/\/(127\.0\.0\.1|localhost):8080\/w\//);
      expect(typeof f.response.status, name).toBe('number');
    }
  });

  it('should name the consumers whose secrets reproduce the recorded signatures', () => {
    expect(environment.consumers.oauth1_prefix.key).toMatch(/^[0-9a-f]{32}$/);
    expect(environment.index_php).toBe('http://127.0.0.1:8080/w/index.php');
  });
});
