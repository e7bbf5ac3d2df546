import { jest } from '@jest/globals';

import { loadConfig } from 'src/config/config.loader.js';
import { ApiKeyVerificationService } from 'src/features/api-keys/api-key-verification.service.js';
import type { ApiKeysRepository } from 'src/features/api-keys/api-keys.repository.js';
import type { StoredApiKey } from 'src/features/api-keys/api-keys.types.js';
import { issueApiKey } from 'src/platform/access/api-key.js';
import type { Clock } from 'src/platform/clock/clock.js';

const start = new Date('2026-12-02T10:00:00Z');

function setup(cacheSeconds = '0') {
  let now = start;
  const issued = issueApiKey();
  const stored: StoredApiKey = { id: issued.id, name: 'ci', namespace: 'team-a', agents: ['agent-1'], role: 'agent', scopes: [], secretHash: issued.secretHash, createdAt: start, expiresAt: new Date(start.getTime() + 86_400_000), lastUsedAt: null, revokedAt: null, replacesKeyId: null };
  const repo = { findById: jest.fn<ApiKeysRepository['findById']>().mockImplementation(async (id) => (id === stored.id ? stored : null)), touchLastUsed: jest.fn<ApiKeysRepository['touchLastUsed']>().mockResolvedValue() };
  const clock = { now: () => now } as Clock;
  const service = new ApiKeyVerificationService(repo as unknown as ApiKeysRepository, clock, loadConfig({}, { BATON_API_KEY_CACHE_SECONDS: cacheSeconds }));
  return { service, repo, issued, stored, advance: (ms: number) => (now = new Date(now.getTime() + ms)), setStored: (patch: Partial<StoredApiKey>) => Object.assign(stored, patch) };
}

describe('ApiKeyVerificationService', () => {
  it('accepts a valid key and returns its grants without the hash', async () => {
    const { service, issued } = setup();
    const result = await service.verify(issued.key);
    expect(result).toEqual({ ok: true, key: expect.objectContaining({ id: issued.id, namespace: 'team-a', agents: ['agent-1'], role: 'agent' }) });
    expect(result.ok && 'secretHash' in result.key).toBe(false);
  });

  it('gives an unknown key id and a wrong secret the same answer', async () => {
    const { service, issued } = setup();
    const wrongSecret = `${issued.key.slice(0, -1)}${issued.key.endsWith('A') ? 'B' : 'A'}`;
    const unknownId = issueApiKey().key;
    expect(await service.verify(wrongSecret)).toEqual({ ok: false, reason: 'invalid', keyId: issued.id });
    expect(await service.verify(unknownId)).toEqual({ ok: false, reason: 'invalid', keyId: unknownId.slice(6, 22) });
  });

  it('refuses a malformed key without a database lookup, keeping the key id it could read', async () => {
    const { service, repo, issued } = setup();
    expect(await service.verify(issued.key.slice(0, 40))).toEqual({ ok: false, reason: 'malformed', keyId: issued.id });
    expect(await service.verify('baton_nothing')).toEqual({ ok: false, reason: 'malformed', keyId: undefined });
    expect(repo.findById).not.toHaveBeenCalled();
  });

  it('refuses a revoked key and an expired key, each by name, once the secret matches', async () => {
    const { service, issued, setStored, advance } = setup();
    setStored({ revokedAt: start });
    expect(await service.verify(issued.key)).toEqual({ ok: false, reason: 'revoked', keyId: issued.id });
    setStored({ revokedAt: null });
    advance(86_400_000);
    expect(await service.verify(issued.key)).toEqual({ ok: false, reason: 'expired', keyId: issued.id });
  });

  it('without a cache, sees a revocation on the very next request', async () => {
    const { service, issued, setStored, repo } = setup('0');
    expect((await service.verify(issued.key)).ok).toBe(true);
    setStored({ revokedAt: start });
    expect((await service.verify(issued.key)).ok).toBe(false);
    expect(repo.findById).toHaveBeenCalledTimes(2);
  });

  it('with a cache, reads the key once per cache period and still checks the secret every time', async () => {
    const { service, issued, repo } = setup('10');
    expect((await service.verify(issued.key)).ok).toBe(true);
    expect((await service.verify(issued.key)).ok).toBe(true);
    expect((await service.verify(`${issued.key.slice(0, -1)}${issued.key.endsWith('A') ? 'B' : 'A'}`)).ok).toBe(false);
    expect(repo.findById).toHaveBeenCalledTimes(1);
  });

  it('writes the last-used time at most once a minute per key', async () => {
    const { service, issued, repo, advance } = setup();
    for (let i = 0; i < 5; i++) await service.verify(issued.key);
    expect(repo.touchLastUsed).toHaveBeenCalledTimes(1);
    expect(repo.touchLastUsed).toHaveBeenLastCalledWith(issued.id, start, new Date(start.getTime() - 60_000));
    advance(59_000);
    await service.verify(issued.key);
    expect(repo.touchLastUsed).toHaveBeenCalledTimes(1);
    advance(2_000);
    await service.verify(issued.key);
    expect(repo.touchLastUsed).toHaveBeenCalledTimes(2);
  });
});
