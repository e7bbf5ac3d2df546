import { apiKeyIdOf, hashApiKeySecret, issueApiKey, looksLikeApiKey, parseApiKey, secretMatches } from 'src/platform/access/api-key.js';

describe('API key format', () => {
  it('issues baton_<16 hex>_<43 base62> keys that parse back into their id and secret', () => {
    const issued = issueApiKey();
    expect(issued.key).toMatch(/^baton_[0-9a-f]{16}_[0-9A-Za-z]{43}$/);
    const parsed = parseApiKey(issued.key);
    expect(parsed?.id).toBe(issued.id);
    expect(issued.key.endsWith(parsed?.secret ?? 'missing')).toBe(true);
    expect(issued.secretHash.equals(hashApiKeySecret(parsed?.secret ?? ''))).toBe(true);
  });

  it('draws a distinct secret each time, with no constant position (256 random bits each)', () => {
    const secrets = Array.from({ length: 500 }, () => parseApiKey(issueApiKey().key)?.secret ?? '');
    expect(new Set(secrets).size).toBe(500);
    // Every position takes many values: no position is constant padding.
    for (let i = 0; i < 43; i++) expect(new Set(secrets.map((s) => s.charAt(i))).size).toBeGreaterThan(i === 0 ? 1 : 20);
  });

  it('stores a SHA-256 hash (32 bytes), never the secret', () => {
    const issued = issueApiKey();
    expect(issued.secretHash).toHaveLength(32);
    expect(issued.secretHash.toString('utf8')).not.toContain(parseApiKey(issued.key)?.secret);
  });

  it('matches only the exact secret', () => {
    const issued = issueApiKey();
    const secret = parseApiKey(issued.key)?.secret as string;
    expect(secretMatches(secret, issued.secretHash)).toBe(true);
    expect(secretMatches(`${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`, issued.secretHash)).toBe(false);
    expect(secretMatches(secret, Buffer.alloc(0))).toBe(false);
  });

  it.each([
    ['a truncated key', (key: string) => key.slice(0, -1)],
    ['a key with a character appended', (key: string) => `${key}x`],
    ['an upper-case key id', (key: string) => key.replace(/^baton_([0-9a-f]{16})/, (_m, id: string) => `baton_${id.toUpperCase()}`)],
    ['a secret with a character outside base62', (key: string) => `${key.slice(0, -1)}-`],
    ['another prefix', (key: string) => key.replace('baton_', 'bato_')],
  ])('refuses to parse %s', (_kind, mangle) => {
    expect(parseApiKey(mangle(issueApiKey().key))).toBeUndefined();
  });

  it('tells API keys from other bearer tokens by the prefix, and reads the key id of a damaged key', () => {
    const issued = issueApiKey();
    expect(looksLikeApiKey(issued.key)).toBe(true);
    expect(looksLikeApiKey('eyJhbGciOiJSUzI1NiJ9.e30.sig')).toBe(false);
    expect(apiKeyIdOf(issued.key.slice(0, 30))).toBe(issued.id);
    expect(apiKeyIdOf('baton_short')).toBeUndefined();
    expect(apiKeyIdOf('eyJhbGciOiJSUzI1NiJ9')).toBeUndefined();
  });
});
