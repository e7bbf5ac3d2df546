import { jest } from '@jest/globals';

import { loadConfig } from 'src/config/config.loader.js';
import type { Clock } from 'src/platform/clock/clock.js';
import type { EventBusService } from 'src/platform/events/event-bus.service.js';
import type { SessionsRepository } from 'src/features/sessions/sessions.repository.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';
import type { NewSession, SessionRecord } from 'src/features/sessions/sessions.types.js';

const now = new Date('2026-11-22T12:00:00Z');
const HOUR = 3_600_000;

function setup() {
  const config = loadConfig({}, { BATON_SESSION_MAX_LIFETIME_SECONDS: String(48 * 3600), BATON_LIFECYCLE_POLICIES: JSON.stringify([{ tag: 'short', ttlSeconds: 600, maxLifetimeSeconds: 3600 }]) });
  const repo = { create: jest.fn<SessionsRepository['create']>(async (s: NewSession) => ({ ...record(), ...s, id: 'id-1', status: 'active', title: s.title ?? null, lastSequence: 0, lastActivityAt: s.createdAt, archivedAt: null, legalHold: false })) };
  const events = { publish: jest.fn<EventBusService['publish']>() };
  const service = new SessionsService(repo as unknown as SessionsRepository, events as unknown as EventBusService, { now: () => now } as Clock, config);
  return { service, repo };
}

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return { id: 'id-1', namespace: 'default', sessionKey: 'k1', agentId: 'a', title: null, status: 'active', repository: {}, metadata: {}, lastSequence: 0, createdAt: now, lastActivityAt: now, expiresAt: new Date(now.getTime() + HOUR), archivedAt: null, tags: [], legalHold: false, handedOffAgentIds: [], ...overrides };
}

describe('SessionsService.register', () => {
  it('takes the default ttl and lifetime of the policy covering the session\'s tags', async () => {
    const { service, repo } = setup();
    await service.register('default', { sessionKey: 'k1', agentId: 'a', tags: ['short', 'short'] });
    expect(repo.create).toHaveBeenCalledWith(expect.objectContaining({ tags: ['short'], ttlSeconds: 600, expiresAt: new Date(now.getTime() + 600_000), maxExpiresAt: new Date(now.getTime() + HOUR) }));
  });

  it('never lets the maximum lifetime cut short a ttl the caller asked for', async () => {
    const { service, repo } = setup();
    await service.register('default', { sessionKey: 'k1', agentId: 'a', tags: ['short'], ttlSeconds: 7200 });
    expect(repo.create).toHaveBeenCalledWith(expect.objectContaining({ ttlSeconds: 7200, maxExpiresAt: new Date(now.getTime() + 2 * HOUR) }));
  });

  it('refuses malformed tags and too many of them, saying which', async () => {
    const { service } = setup();
    await expect(service.register('default', { agentId: 'a', tags: ['ok', 'not ok'] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('"not ok"') });
    await expect(service.register('default', { agentId: 'a', tags: Array.from({ length: 33 }, (_, i) => `t${i}`) })).rejects.toMatchObject({ message: expect.stringContaining('at most 32') });
  });
});

describe('SessionsService.explainUnwritable', () => {
  it('treats a session past its expiresAt as read-only before the lifecycle marks it, and a purged one as gone', () => {
    const { service } = setup();
    expect(service.explainUnwritable(record(), 'k1')).toBeNull();
    expect(service.explainUnwritable(record({ expiresAt: now }), 'k1')).toMatchObject({ code: 'SESSION_READ_ONLY', message: expect.stringContaining('expired') });
    expect(service.explainUnwritable(record({ status: 'purged' }), 'k1')).toMatchObject({ code: 'SESSION_PURGED' });
    expect(service.explainUnwritable(null, 'k1')).toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });
});
