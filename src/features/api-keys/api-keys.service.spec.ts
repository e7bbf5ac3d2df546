import { jest } from '@jest/globals';

import { loadConfig } from 'src/config/config.loader.js';
import { ApiKeyErrorCode } from 'src/features/api-keys/api-keys.errors.js';
import type { ApiKeysRepository } from 'src/features/api-keys/api-keys.repository.js';
import { ApiKeysService } from 'src/features/api-keys/api-keys.service.js';
import type { StoredApiKey } from 'src/features/api-keys/api-keys.types.js';
import { hashApiKeySecret, parseApiKey } from 'src/platform/access/api-key.js';
import type { AuditTrail } from 'src/platform/audit/audit-trail.js';
import type { Clock } from 'src/platform/clock/clock.js';

const now = new Date('2026-12-02T10:00:00Z');
const DAY = 86_400_000;

function setup(env: Record<string, string> = {}) {
  const rows = new Map<string, StoredApiKey>();
  const repo = {
    insertKey: jest.fn<ApiKeysRepository['insertKey']>().mockImplementation(async (key) => void rows.set(key.id, key)),
    findById: jest.fn<ApiKeysRepository['findById']>().mockImplementation(async (id) => rows.get(id) ?? null),
    revokeKey: jest.fn<ApiKeysRepository['revokeKey']>().mockResolvedValue(true),
    replaceKey: jest.fn<ApiKeysRepository['replaceKey']>().mockResolvedValue(true),
  };
  const audit = { record: jest.fn<AuditTrail['record']>().mockResolvedValue() };
  const service = new ApiKeysService(repo as unknown as ApiKeysRepository, { now: () => now } as Clock, audit as unknown as AuditTrail, loadConfig({}, env));
  return { service, repo, audit, rows };
}

const input = { namespace: 'team-a', name: 'ci-deploy', agents: ['agent-1'], role: 'agent' };

describe('ApiKeysService.create', () => {
  it('stores only the hash of the secret, with the configured default lifetime, and records key.created', async () => {
    const { service, repo, audit } = setup({ BATON_API_KEY_TTL_SECONDS: String(7 * 86_400) });
    const { key, record } = await service.create(input);
    const stored = repo.insertKey.mock.calls[0]?.[0] as StoredApiKey;
    expect(stored.secretHash.equals(hashApiKeySecret(parseApiKey(key)?.secret ?? ''))).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(parseApiKey(key)?.secret);
    expect(record).toEqual(expect.objectContaining({ id: parseApiKey(key)?.id, namespace: 'team-a', agents: ['agent-1'], role: 'agent', scopes: [], createdAt: now, expiresAt: new Date(now.getTime() + 7 * DAY) }));
    expect(audit.record).toHaveBeenCalledWith(expect.objectContaining({ action: 'key.created', namespace: 'team-a', target: record.id, outcome: 'success' }));
  });

  it('defaults to 90 days and takes --expires-in durations', async () => {
    const { service } = setup();
    expect((await service.create(input)).record.expiresAt).toEqual(new Date(now.getTime() + 90 * DAY));
    expect((await service.create({ ...input, expiresIn: '12h' })).record.expiresAt).toEqual(new Date(now.getTime() + 12 * 3_600_000));
    expect((await service.create({ ...input, expiresIn: '2w' })).record.expiresAt).toEqual(new Date(now.getTime() + 14 * DAY));
  });

  it.each([
    ['an unknown role', { role: 'boss' }, /Unknown role "boss".*reader, agent, operator, admin/],
    ['an unknown scope', { role: undefined, scopes: ['sessions:delete'] }, /Unknown scope "sessions:delete"/],
    ['neither role nor scope', { role: undefined }, /needs a role or at least one scope/],
    ['a bad duration', { expiresIn: '3y' }, /"3y" is not a duration.*30d or 12h/],
    ['a zero duration', { expiresIn: '0d' }, /"0d" is not a duration/],
    ['a bad namespace', { namespace: 'team a' }, /Namespace "team a" is not valid/],
    ['an empty name', { name: '  ' }, /Name " {2}" is not valid/],
  ])('refuses %s, saying what to give instead, and stores nothing', async (_case, patch, message) => {
    const { service, repo, audit } = setup();
    await expect(service.create({ ...input, ...patch })).rejects.toMatchObject({ code: ApiKeyErrorCode.InvalidArgument, message: expect.stringMatching(message) });
    expect(repo.insertKey).not.toHaveBeenCalled();
    expect(audit.record).not.toHaveBeenCalled();
  });

  it('grants scopes beside a role, without duplicates', async () => {
    const { service } = setup();
    const { record } = await service.create({ ...input, role: 'reader', scopes: ['audit:read', 'audit:read'], agents: ['a', 'a', 'b'] });
    expect(record).toEqual(expect.objectContaining({ role: 'reader', scopes: ['audit:read'], agents: ['a', 'b'] }));
  });
});

describe('ApiKeysService.rotate and revoke', () => {
  it('rotates into a new key with the same grants and lifetime, revoking the old one at once', async () => {
    const { service, repo, audit } = setup();
    const old = await service.create({ ...input, expiresIn: '30d' });
    const rotated = await service.rotate(old.record.id);
    expect(rotated.key).not.toBe(old.key);
    expect(rotated.record).toEqual(expect.objectContaining({ namespace: 'team-a', agents: ['agent-1'], role: 'agent', replacesKeyId: old.record.id, expiresAt: new Date(now.getTime() + 30 * DAY) }));
    expect(repo.replaceKey).toHaveBeenCalledWith(old.record.id, expect.objectContaining({ id: rotated.record.id }), { revokedAt: now });
    expect(audit.record).toHaveBeenLastCalledWith(expect.objectContaining({ action: 'key.rotated', target: old.record.id, detail: expect.objectContaining({ newKeyId: rotated.record.id }) }));
  });

  it('with --grace, lets the old key expire after the grace period instead', async () => {
    const { service, repo } = setup();
    const old = await service.create(input);
    await service.rotate(old.record.id, { grace: '1h' });
    expect(repo.replaceKey).toHaveBeenCalledWith(old.record.id, expect.anything(), { expiresAt: new Date(now.getTime() + 3_600_000) });
  });

  it('revokes a key and records key.revoked', async () => {
    const { service, repo, audit } = setup();
    const { record } = await service.create(input);
    expect((await service.revoke(record.id)).revokedAt).toEqual(now);
    expect(repo.revokeKey).toHaveBeenCalledWith(record.id, now);
    expect(audit.record).toHaveBeenLastCalledWith(expect.objectContaining({ action: 'key.revoked', target: record.id, namespace: 'team-a' }));
  });

  it.each([['revoke'], ['rotate']] as const)('%s names an unknown id and how to find the right one', async (method) => {
    const { service } = setup();
    await expect(service[method]('0123456789abcdef')).rejects.toMatchObject({ code: ApiKeyErrorCode.KeyNotFound, message: expect.stringContaining('baton keys list') });
    await expect(service[method]('not-an-id')).rejects.toMatchObject({ code: ApiKeyErrorCode.KeyNotFound });
  });

  it('refuses to rotate or revoke a key that is already revoked', async () => {
    const { service, rows } = setup();
    const { record } = await service.create(input);
    rows.set(record.id, { ...(rows.get(record.id) as StoredApiKey), revokedAt: now });
    await expect(service.revoke(record.id)).rejects.toMatchObject({ code: ApiKeyErrorCode.KeyRevoked });
    await expect(service.rotate(record.id)).rejects.toMatchObject({ code: ApiKeyErrorCode.KeyRevoked });
  });
});
