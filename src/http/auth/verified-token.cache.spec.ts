import { jest } from '@jest/globals';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

import { VerifiedTokenCache } from 'src/http/auth/verified-token.cache.js';

// A verifier that accepts tokens named `good-<expiry in seconds from now>` and counts its checks.
function countingVerifier() {
  const verifyAccessToken = jest.fn(async (token: string): Promise<AuthInfo> => {
    const match = /^good-(-?\d+)$/.exec(token);
    if (!match) throw new InvalidTokenError('the access token signature is invalid');
    return { token, clientId: 'c', scopes: [], expiresAt: Math.floor(Date.now() / 1000) + Number(match[1]) };
  });
  return { verifyAccessToken };
}

describe('VerifiedTokenCache', () => {
  afterEach(() => jest.useRealTimers());

  it('checks a token once and answers its later uses from memory', async () => {
    const inner = countingVerifier();
    const cache = new VerifiedTokenCache(inner);
    const first = await cache.verifyAccessToken('good-600');
    for (let i = 0; i < 5; i++) expect(await cache.verifyAccessToken('good-600')).toBe(first);
    expect(inner.verifyAccessToken).toHaveBeenCalledTimes(1);
    await cache.verifyAccessToken('good-601');
    expect(inner.verifyAccessToken).toHaveBeenCalledTimes(2);
  });

  it('never remembers a refused token: each use is checked and refused with the verifier\'s reason', async () => {
    const inner = countingVerifier();
    const cache = new VerifiedTokenCache(inner);
    for (let i = 0; i < 3; i++) await expect(cache.verifyAccessToken('forged')).rejects.toThrow('the access token signature is invalid');
    expect(inner.verifyAccessToken).toHaveBeenCalledTimes(3);
  });

  it('checks a remembered token again once it has expired', async () => {
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const inner = countingVerifier();
    const cache = new VerifiedTokenCache(inner);
    await cache.verifyAccessToken('good-30');
    jest.setSystemTime(Date.now() + 31_000);
    await cache.verifyAccessToken('good-30');
    expect(inner.verifyAccessToken).toHaveBeenCalledTimes(2);
  });

  it('checks a token again after five minutes even when it expires later, so a withdrawn signing key stops counting', async () => {
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const inner = countingVerifier();
    const cache = new VerifiedTokenCache(inner);
    await cache.verifyAccessToken('good-3600');
    jest.setSystemTime(Date.now() + 4 * 60_000);
    await cache.verifyAccessToken('good-3600');
    expect(inner.verifyAccessToken).toHaveBeenCalledTimes(1);
    jest.setSystemTime(Date.now() + 2 * 60_000);
    await cache.verifyAccessToken('good-3600');
    expect(inner.verifyAccessToken).toHaveBeenCalledTimes(2);
  });
});
