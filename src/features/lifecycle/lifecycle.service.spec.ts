import { jest } from '@jest/globals';

import { loadConfig } from 'src/config/config.loader.js';
import type { Clock } from 'src/platform/clock/clock.js';
import type { EventBusService } from 'src/platform/events/event-bus.service.js';
import type { ContextService } from 'src/features/context/context.service.js';
import type { LifecycleRepository } from 'src/features/lifecycle/lifecycle.repository.js';
import { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import type { LifecycleStatsRepository } from 'src/features/lifecycle/lifecycle-stats.repository.js';
import type { LifecycleState, Transitioned } from 'src/features/lifecycle/lifecycle.types.js';

const now = new Date('2026-11-22T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

function state(id: string, overrides: Partial<LifecycleState> = {}): LifecycleState {
  return { id, namespace: 'default', sessionKey: `key-${id}`, status: 'active', tags: [], lastActivityAt: ago(10), expiresAt: later(86_400), archivedAt: null, legalHold: false, ...overrides };
}

function moved(s: LifecycleState, to: Transitioned['to']): Transitioned {
  return { id: s.id, namespace: s.namespace, sessionKey: s.sessionKey, from: s.status, to };
}

function setup(env: Record<string, string> = {}) {
  const config = loadConfig({}, { BATON_DORMANT_AFTER_SECONDS: '1800', BATON_SWEEP_INTERVAL_SECONDS: '60', BATON_SWEEP_BATCH_SIZE: '2', ...env });
  const repo = {
    findState: jest.fn<LifecycleRepository['findState']>(),
    findStateByKey: jest.fn<LifecycleRepository['findStateByKey']>(),
    scan: jest.fn<LifecycleRepository['scan']>().mockResolvedValue({ states: [], cursor: null }),
    expire: jest.fn<LifecycleRepository['expire']>().mockResolvedValue([]),
    makeDormant: jest.fn<LifecycleRepository['makeDormant']>().mockResolvedValue([]),
    purge: jest.fn<LifecycleRepository['purge']>().mockResolvedValue([]),
  };
  const stats = { saveSweep: jest.fn<LifecycleStatsRepository['saveSweep']>().mockResolvedValue(), addTransitions: jest.fn<LifecycleStatsRepository['addTransitions']>().mockResolvedValue() };
  const context = { archiveSession: jest.fn<ContextService['archiveSession']>().mockResolvedValue(null) };
  const events = { publishMany: jest.fn<EventBusService['publishMany']>().mockResolvedValue() };
  const clock = { now: () => now } as Clock;
  const service = new LifecycleService(repo as unknown as LifecycleRepository, stats as unknown as LifecycleStatsRepository, context as unknown as ContextService, events as unknown as EventBusService, clock, config);
  return { service, repo, stats, context, events };
}

describe('LifecycleService.advance', () => {
  it('applies a due dormancy with the cutoff of the session\'s own policy, announces it, and schedules the expiry only when near', async () => {
    const { service, repo, events, stats } = setup({ BATON_LIFECYCLE_POLICIES: JSON.stringify([{ tag: 'fast', dormantAfterSeconds: 60 }]) });
    const session = state('a', { tags: ['fast'], lastActivityAt: ago(61) });
    repo.findState.mockResolvedValueOnce(session).mockResolvedValueOnce({ ...session, status: 'dormant' });
    repo.makeDormant.mockResolvedValueOnce([moved(session, 'dormant')]);

    const outcome = await service.advance('a');

    expect(repo.makeDormant).toHaveBeenCalledWith([{ id: 'a', cutoff: ago(60) }], now, false);
    expect(events.publishMany).toHaveBeenCalledWith([{ namespace: 'default', type: 'session.status_changed', subject: { sessionKey: 'key-a', status: 'dormant' } }]);
    // Baton's totals and the namespace's own.
    expect(stats.addTransitions.mock.calls).toEqual([[{ dormant: 1 }, null], [{ dormant: 1 }, 'default']]);
    // The expiry is a day away: far beyond two sweep intervals, so no job yet.
    expect(outcome).toEqual({ status: 'dormant', transitioned: [moved(session, 'dormant')], next: null });
  });

  it('re-reads the session when an append won the race, and schedules the new idle deadline', async () => {
    const { service, repo, events } = setup({ BATON_DORMANT_AFTER_SECONDS: '100' });
    const idle = state('a', { lastActivityAt: ago(101) });
    repo.findState.mockResolvedValueOnce(idle).mockResolvedValueOnce({ ...idle, lastActivityAt: now });
    repo.makeDormant.mockResolvedValueOnce([]);

    const outcome = await service.advance('a');

    expect(events.publishMany).not.toHaveBeenCalled();
    expect(outcome).toEqual({ status: 'active', transitioned: [], next: { sessionId: 'a', namespace: 'default', at: later(100) } });
  });

  it('gives up, for BullMQ to retry, when every attempt loses a race', async () => {
    const { service, repo } = setup();
    repo.findState.mockResolvedValue(state('a', { lastActivityAt: ago(2000) }));
    await expect(service.advance('a')).rejects.toThrow('kept changing');
    expect(repo.makeDormant).toHaveBeenCalledTimes(5);
  });

  it('archives an expired session through the context, deciding on the locked row', async () => {
    const { service, repo, context } = setup({ BATON_ARCHIVE_AFTER_SECONDS: '60' });
    const expired = state('a', { status: 'expired', expiresAt: ago(61) });
    repo.findState.mockResolvedValueOnce(expired).mockResolvedValueOnce({ ...expired, status: 'archived', archivedAt: now });
    context.archiveSession.mockResolvedValueOnce({ namespace: 'default', sessionKey: 'key-a', previousStatus: 'expired', entryCount: 3, rawBytes: 300, storedBytes: 90, duplicates: 0 });

    const outcome = await service.advance('a');

    expect(outcome.transitioned).toEqual([moved(expired, 'archived')]);
    const due = context.archiveSession.mock.calls[0]?.[2] as (s: { status: string; expiresAt: Date; namespace: string; tags: string[] }) => boolean;
    expect(due({ status: 'expired', expiresAt: ago(61), namespace: 'default', tags: [] })).toBe(true);
    expect(due({ status: 'expired', expiresAt: ago(59), namespace: 'default', tags: [] })).toBe(false);
    expect(due({ status: 'archived', expiresAt: ago(61), namespace: 'default', tags: [] })).toBe(false);
  });

  it('does nothing for a session that is gone or has no transition left', async () => {
    const { service, repo } = setup();
    repo.findState.mockResolvedValueOnce(null).mockResolvedValueOnce(state('b', { status: 'purged', archivedAt: ago(5) }));
    expect(await service.advance('a')).toEqual({ status: 'gone', transitioned: [], next: null });
    expect(await service.advance('b')).toEqual({ status: 'purged', transitioned: [], next: null });
  });
});

describe('LifecycleService.sweep', () => {
  it('expires in batches until a short batch, then walks each kind from the shortest timing any policy allows', async () => {
    const { service, repo, stats } = setup({ BATON_LIFECYCLE_POLICIES: JSON.stringify([{ namespace: 'acme', dormantAfterSeconds: 600 }]) });
    const a = state('a');
    repo.expire.mockResolvedValueOnce([moved(a, 'expired'), moved(state('b'), 'expired')]).mockResolvedValueOnce([moved(state('c'), 'expired')]);

    const { result } = await service.sweep('operator');

    expect(repo.expire).toHaveBeenCalledTimes(2);
    expect(repo.expire).toHaveBeenCalledWith(now, { limit: 2, skipLocked: true, namespace: null });
    // Dormancy candidates: idle at least 600 s (the shortest) by the end of the lookahead.
    expect(repo.scan).toHaveBeenCalledWith('dormant', new Date(now.getTime() + 120_000 - 600_000), null, 2, null);
    expect(result.transitioned).toEqual({ dormant: 0, expired: 3, archived: 0, purged: 0 });
    // Kept with each namespace's figures, for its operators.
    expect(stats.saveSweep).toHaveBeenCalledWith({ ...result, byNamespace: { default: { transitioned: { dormant: 0, expired: 3, archived: 0, purged: 0 }, archivesQueued: 0, checksScheduled: 0 } } });
  });

  it('sweeps only the namespace an operator names, and keeps its result apart', async () => {
    const { service, repo, stats } = setup();
    const { result } = await service.sweep('operator', 'team-b');
    expect(repo.expire).toHaveBeenCalledWith(now, { limit: 2, skipLocked: true, namespace: 'team-b' });
    expect(repo.scan.mock.calls.every((call) => call[4] === 'team-b')).toBe(true);
    expect(result.namespace).toBe('team-b');
    expect(stats.saveSweep).toHaveBeenCalledWith(result);
  });

  it('resolves each candidate\'s policy: transitions the due ones, schedules the ones due before the next sweep, skips the rest', async () => {
    const { service, repo } = setup({ BATON_LIFECYCLE_POLICIES: JSON.stringify([{ namespace: 'acme', dormantAfterSeconds: 600 }]) });
    const dueAcme = state('a', { namespace: 'acme', lastActivityAt: ago(700) });
    const soonAcme = state('b', { namespace: 'acme', lastActivityAt: ago(550) });
    const notYetDefault = state('c', { lastActivityAt: ago(700) });
    repo.scan.mockImplementation(async (kind, _bound, cursor) => (kind === 'dormant' && cursor === null ? { states: [dueAcme, soonAcme], cursor: { at: soonAcme.lastActivityAt, id: 'b' } } : kind === 'dormant' ? { states: [notYetDefault], cursor: null } : { states: [], cursor: null }));
    repo.makeDormant.mockResolvedValueOnce([moved(dueAcme, 'dormant')]);

    const { result, checks } = await service.sweep('schedule');

    expect(repo.makeDormant).toHaveBeenCalledTimes(1);
    expect(repo.makeDormant).toHaveBeenCalledWith([{ id: 'a', cutoff: ago(600) }], now, true);
    expect(checks).toEqual([{ sessionId: 'b', namespace: 'acme', at: later(50) }]);
    expect(result.transitioned.dormant).toBe(1);
  });

  it('hands due archives to their own jobs, keyed by their due time', async () => {
    const { service, repo, context } = setup({ BATON_ARCHIVE_AFTER_SECONDS: '60' });
    const expired = state('a', { status: 'expired', expiresAt: ago(100) });
    repo.scan.mockImplementation(async (kind) => (kind === 'archive' ? { states: [expired], cursor: null } : { states: [], cursor: null }));

    const { result, checks } = await service.sweep('schedule');

    expect(context.archiveSession).not.toHaveBeenCalled();
    expect(checks).toEqual([{ sessionId: 'a', namespace: 'default', at: ago(40) }]);
    expect(result.archivesQueued).toBe(1);
  });

  it('purges only sessions whose own policy has a retention period', async () => {
    const { service, repo } = setup({ BATON_RETENTION_SECONDS: '3600', BATON_LIFECYCLE_POLICIES: JSON.stringify([{ tag: 'keep', retentionSeconds: 'forever' }]) });
    const plain = state('a', { status: 'archived', archivedAt: ago(4000) });
    const kept = state('b', { status: 'archived', archivedAt: ago(4000), tags: ['keep'] });
    repo.scan.mockImplementation(async (kind, _bound, cursor) => (kind === 'purge' && cursor === null ? { states: [plain, kept], cursor: { at: ago(4000), id: 'b' } } : { states: [], cursor: null }));
    repo.purge.mockResolvedValueOnce([moved(plain, 'purged')]);

    await service.sweep('schedule');

    expect(repo.purge).toHaveBeenCalledWith([{ id: 'a', cutoff: ago(3600) }], now, true);
  });

  it('skips the purge walk altogether when nothing is ever purged', async () => {
    const { service, repo } = setup({ BATON_RETENTION_SECONDS: 'forever' });
    await service.sweep('schedule');
    expect(repo.scan.mock.calls.map((call) => call[0])).toEqual(['expire', 'dormant', 'archive']);
  });
});
