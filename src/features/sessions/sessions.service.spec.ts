import { jest } from '@jest/globals';

import { loadConfig } from 'src/config/config.loader.js';
import type { Clock } from 'src/platform/clock/clock.js';
import type { EventBusService } from 'src/platform/events/event-bus.service.js';
import { SessionErrorCode } from 'src/features/sessions/sessions.errors.js';
import type { SessionsRepository } from 'src/features/sessions/sessions.repository.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';
import type { NewSession, SessionRecord } from 'src/features/sessions/sessions.types.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');

function record(session: NewSession): SessionRecord {
  return { ...session, id: 'id-1', title: session.title ?? null, status: 'active', lastSequence: 0, lastActivityAt: session.createdAt, archivedAt: null, handedOffAgentIds: [], tags: [], legalHold: false };
}

function setup() {
  const repository = {
    create: jest.fn(async (s: NewSession) => record(s)),
    findByKey: jest.fn(async () => null),
    findEvents: jest.fn(async () => []),
    listPage: jest.fn(async () => [] as SessionRecord[]),
    findKeysByPrefix: jest.fn(async () => []),
  };
  const events = { publish: jest.fn() };
  const clock: Clock = { now: () => NOW };
  const service = new SessionsService(repository as unknown as SessionsRepository, events as unknown as EventBusService, clock, loadConfig({ BATON_SESSION_TTL_SECONDS: '600', BATON_SESSION_MAX_TTL_SECONDS: '3600' }, {}));
  return { service, repository, events };
}

describe('SessionsService', () => {
  it('registers with the default TTL, from the injected clock, and announces the session', async () => {
    const { service, repository, events } = setup();
    const session = await service.register('ns', { sessionKey: 'k-1', agentId: 'a' });
    expect(repository.create).toHaveBeenCalledWith(expect.objectContaining({ namespace: 'ns', sessionKey: 'k-1', createdAt: NOW, expiresAt: new Date(NOW.getTime() + 600_000) }));
    expect(session.status).toBe('active');
    expect(events.publish).toHaveBeenCalledWith({ namespace: 'ns', type: 'session.created', subject: { sessionKey: 'k-1' } });
  });

  it('generates a key when none is given', async () => {
    const { service } = setup();
    const session = await service.register('ns', { agentId: 'a' });
    expect(session.sessionKey).toMatch(/^s-[A-Za-z0-9_-]{16}$/);
  });

  it('refuses a TTL above the maximum, naming both', async () => {
    const { service, repository } = setup();
    await expect(service.register('ns', { agentId: 'a', ttlSeconds: 7200 })).rejects.toMatchObject({ code: SessionErrorCode.InvalidArgument, message: expect.stringContaining('7200 is above the maximum of 3600') });
    expect(repository.create).not.toHaveBeenCalled();
  });

  it('answers SESSION_EXISTS when the repository reports the key taken', async () => {
    const { service, repository, events } = setup();
    repository.create.mockResolvedValueOnce(null as never);
    await expect(service.register('ns', { sessionKey: 'taken', agentId: 'a' })).rejects.toMatchObject({ code: SessionErrorCode.SessionExists });
    expect(events.publish).not.toHaveBeenCalled();
  });

  it('pages with an opaque cursor that resumes after the last session', async () => {
    const { service, repository } = setup();
    const rows = [1, 2, 3].map((i) => record({ namespace: 'ns', sessionKey: `k${i}`, agentId: 'a', repository: {}, metadata: {}, tags: [], ttlSeconds: 600, maxExpiresAt: NOW, createdAt: new Date(NOW.getTime() - i * 1000), expiresAt: NOW }));
    rows.forEach((row, i) => (row.id = `00000000-0000-4000-8000-00000000000${i}`));
    repository.listPage.mockResolvedValueOnce(rows);
    const page = await service.list('ns', { limit: 2 });
    expect(page.sessions.map((s) => s.sessionKey)).toEqual(['k1', 'k2']);
    expect(page.nextCursor).not.toBeNull();
    await service.list('ns', { limit: 2, cursor: page.nextCursor as string });
    expect(repository.listPage).toHaveBeenLastCalledWith('ns', { status: undefined, agentId: undefined }, 3, { lastActivityAt: rows[1]?.lastActivityAt, id: '00000000-0000-4000-8000-000000000001' });
  });

  it('rejects a cursor it did not issue and an out-of-range limit', async () => {
    const { service } = setup();
    await expect(service.list('ns', { cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: SessionErrorCode.InvalidArgument });
    await expect(service.list('ns', { limit: 0 })).rejects.toMatchObject({ message: expect.stringContaining('1 to 1000') });
  });

  it('explains why a session cannot be written', () => {
    const { service } = setup();
    const base = record({ namespace: 'ns', sessionKey: 'k', agentId: 'a', repository: {}, metadata: {}, tags: [], ttlSeconds: 600, maxExpiresAt: NOW, createdAt: NOW, expiresAt: new Date(NOW.getTime() + 3_600_000) });
    expect(service.explainUnwritable(null, 'k')?.code).toBe(SessionErrorCode.SessionNotFound);
    expect(service.explainUnwritable({ ...base, status: 'archived' }, 'k')?.code).toBe(SessionErrorCode.SessionReadOnly);
    expect(service.explainUnwritable({ ...base, status: 'dormant' }, 'k')).toBeNull();
  });
});
