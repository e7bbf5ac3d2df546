import { jest } from '@jest/globals';

import type { AuditTrail } from 'src/platform/audit/audit-trail.js';
import type { Clock } from 'src/platform/clock/clock.js';
import type { EventBusService } from 'src/platform/events/event-bus.service.js';
import type { QueueService } from 'src/platform/queue/queue.service.js';
import { LifecycleOperatorService } from 'src/features/lifecycle/lifecycle-operator.service.js';
import type { LifecycleRepository } from 'src/features/lifecycle/lifecycle.repository.js';
import type { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import type { LifecycleStatsRepository } from 'src/features/lifecycle/lifecycle-stats.repository.js';
import type { LifecycleState, SweepResult } from 'src/features/lifecycle/lifecycle.types.js';

const now = new Date('2026-11-22T12:00:00Z');

function archived(overrides: Partial<LifecycleState> = {}): LifecycleState {
  return { id: 'id-1', namespace: 'default', sessionKey: 'k1', status: 'archived', tags: [], lastActivityAt: now, expiresAt: now, archivedAt: now, legalHold: false, ...overrides };
}

// An admin's view of every namespace, and a namespace operator's.
const ALL = { namespace: null, installation: true };
const operatorOf = (namespace: string) => ({ namespace, installation: false });

const figures = (dormant: number) => ({ transitioned: { dormant, expired: 0, archived: 0, purged: 0 }, archivesQueued: 0, checksScheduled: dormant });
const wholeSweep: SweepResult = {
  trigger: 'schedule',
  startedAt: '2026-11-22T11:59:00.000Z',
  finishedAt: '2026-11-22T11:59:01.000Z',
  durationMs: 1000,
  namespace: null,
  ...figures(7),
  byNamespace: { 'team-a': figures(5), 'team-b': figures(2) },
};

function setup() {
  const repo = {
    findStateByKey: jest.fn<LifecycleRepository['findStateByKey']>(),
    setLegalHold: jest.fn<LifecycleRepository['setLegalHold']>(),
    countByStatus: jest.fn<LifecycleRepository['countByStatus']>().mockResolvedValue({ active: 2, dormant: 0, expired: 0, archived: 0, purged: 0 }),
  };
  const lifecycle = { nextCheckOf: jest.fn<LifecycleService['nextCheckOf']>().mockReturnValue(null) };
  const queues = {
    enqueueMany: jest.fn<QueueService['enqueueMany']>().mockResolvedValue(),
    retryFailed: jest.fn<QueueService['retryFailed']>(),
    counts: jest.fn<QueueService['counts']>().mockResolvedValue({ queue: 'lifecycle', waiting: 4, active: 1, delayed: 9, completed: 30, failed: 3, prioritized: 0 }),
    workerCount: jest.fn<QueueService['workerCount']>().mockResolvedValue(2),
    scheduleInfo: jest.fn<QueueService['scheduleInfo']>().mockResolvedValue(null),
    failed: jest.fn<QueueService['failed']>().mockResolvedValue([
      { id: 'advance-a', name: 'advance-session', data: { sessionId: 'sa', namespace: 'team-a' }, attempts: 3, reason: 'a broke', failedAt: now },
      { id: 'advance-b', name: 'advance-session', data: { sessionId: 'sb', namespace: 'team-b' }, attempts: 3, reason: 'b broke', failedAt: now },
      { id: 'sweep-1', name: 'sweep', data: { trigger: 'schedule' }, attempts: 1, reason: 'sweep broke', failedAt: now },
    ]),
  };
  const stats = {
    lastSweep: jest.fn<LifecycleStatsRepository['lastSweep']>().mockImplementation(async (namespace) => (namespace === null ? wholeSweep : null)),
    lastCleanup: jest.fn<LifecycleStatsRepository['lastCleanup']>().mockResolvedValue(null),
    totals: jest.fn<LifecycleStatsRepository['totals']>().mockResolvedValue({ dormant: 1, expired: 0, archived: 0, purged: 0 }),
  };
  const events = { publish: jest.fn<EventBusService['publish']>() };
  const audit = { record: jest.fn<AuditTrail['record']>().mockResolvedValue() };
  const service = new LifecycleOperatorService(
    lifecycle as unknown as LifecycleService,
    repo as unknown as LifecycleRepository,
    stats as unknown as LifecycleStatsRepository,
    queues as unknown as QueueService,
    events as unknown as EventBusService,
    { now: () => now } as Clock,
    audit as unknown as AuditTrail,
  );
  return { service, repo, lifecycle, queues, events, stats, audit };
}

describe('LifecycleOperatorService.setLegalHold', () => {
  it('places a hold, records it and tells subscribers of the session', async () => {
    const { service, repo, events, queues, audit } = setup();
    repo.findStateByKey.mockResolvedValue(archived());
    repo.setLegalHold.mockResolvedValue(archived({ legalHold: true }));
    expect((await service.setLegalHold('default', 'k1', true, 'case 114')).legalHold).toBe(true);
    expect(audit.record.mock.calls).toEqual([[{ action: 'legal_hold.set', outcome: 'success', namespace: 'default', target: 'k1', detail: { reason: 'case 114' } }]]);
    expect(repo.setLegalHold).toHaveBeenCalledWith('default', 'k1', true, 'case 114', now);
    expect(events.publish).toHaveBeenCalledWith({ namespace: 'default', type: 'session.legal_hold_changed', subject: { sessionKey: 'k1' } });
    expect(queues.enqueueMany).not.toHaveBeenCalled();
  });

  it('schedules the purge check again when a hold is lifted', async () => {
    const { service, repo, lifecycle, queues, audit } = setup();
    repo.findStateByKey.mockResolvedValue(archived({ legalHold: true }));
    repo.setLegalHold.mockResolvedValue(archived());
    lifecycle.nextCheckOf.mockReturnValue({ sessionId: 'id-1', namespace: 'default', at: new Date(now.getTime() - 1000) });
    await service.setLegalHold('default', 'k1', false, 'case closed');
    expect(audit.record.mock.calls).toEqual([[{ action: 'legal_hold.lifted', outcome: 'success', namespace: 'default', target: 'k1', detail: { reason: 'case closed' } }]]);
    expect(queues.enqueueMany).toHaveBeenCalledWith(expect.objectContaining({ name: 'advance-session' }), [
      { data: { sessionId: 'id-1', namespace: 'default' }, options: { jobId: `advance-id-1-${now.getTime() - 1000}`, delayMs: -1000, forgetOnSuccess: true } },
    ]);
  });

  it('changes nothing when the hold is already as asked', async () => {
    const { service, repo, events, audit } = setup();
    repo.findStateByKey.mockResolvedValue(archived({ legalHold: true }));
    await service.setLegalHold('default', 'k1', true, 'again');
    expect(repo.setLegalHold).not.toHaveBeenCalled();
    expect(events.publish).not.toHaveBeenCalled();
    expect(audit.record).not.toHaveBeenCalled();
  });

  it('refuses unknown and purged sessions, including one purged between the read and the update', async () => {
    const { service, repo } = setup();
    repo.findStateByKey.mockResolvedValueOnce(null);
    await expect(service.setLegalHold('default', 'k1', true, 'x')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    repo.findStateByKey.mockResolvedValueOnce(archived({ status: 'purged' }));
    await expect(service.setLegalHold('default', 'k1', true, 'x')).rejects.toMatchObject({ code: 'SESSION_PURGED' });
    repo.findStateByKey.mockResolvedValueOnce(archived());
    repo.setLegalHold.mockResolvedValueOnce(archived({ status: 'purged', legalHold: true }));
    await expect(service.setLegalHold('default', 'k1', true, 'x')).rejects.toMatchObject({ code: 'SESSION_PURGED' });
  });
});

describe('LifecycleOperatorService.retryFailed', () => {
  it('says so when the named job is not in the failed set', async () => {
    const { service, queues, audit } = setup();
    queues.retryFailed.mockResolvedValueOnce(0).mockResolvedValueOnce(3);
    await expect(service.retryFailed(ALL, 'nope')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('get_lifecycle_status') });
    expect(await service.retryFailed(ALL, undefined)).toBe(3);
    expect(audit.record.mock.calls).toEqual([
      [{ action: 'jobs.retried', outcome: 'failed', target: 'nope', detail: { queue: 'lifecycle', retried: 0 } }],
      [{ action: 'jobs.retried', outcome: 'success', target: 'lifecycle:all-failed', detail: { queue: 'lifecycle', retried: 3 } }],
    ]);
  });

  it('retries only the jobs of the caller\'s namespace unless it acts on all', async () => {
    const { service, queues, audit } = setup();
    queues.retryFailed.mockResolvedValue(1);
    await service.retryFailed(operatorOf('team-b'), 'job-7');
    expect(audit.record).toHaveBeenCalledWith(expect.objectContaining({ action: 'jobs.retried', namespace: 'team-b', target: 'job-7' }));
    const accepts = queues.retryFailed.mock.calls[0]?.[2];
    expect([accepts?.({ sessionId: 's', namespace: 'team-b' }), accepts?.({ sessionId: 's', namespace: 'team-a' }), accepts?.({ sessionId: 's' }), accepts?.({ trigger: 'schedule' })]).toEqual([true, false, false, false]);
    await service.retryFailed(ALL, undefined);
    expect(queues.retryFailed).toHaveBeenLastCalledWith('lifecycle', undefined, undefined);
  });
});

describe('LifecycleOperatorService.status', () => {
  it('shows a namespace its own sessions, transitions, sweep figures and failed jobs, and nothing Baton-wide', async () => {
    const { service, repo, stats } = setup();
    const status = await service.status(operatorOf('team-b'));
    expect(status).toMatchObject({ namespace: 'team-b', queue: null, lastCleanup: null, lastSweep: { namespace: 'team-b', ...figures(2), finishedAt: wholeSweep.finishedAt } });
    expect(status.lastSweep).not.toHaveProperty('byNamespace');
    expect(status.failedJobs.map((job) => job.jobId)).toEqual(['advance-b']);
    expect(repo.countByStatus).toHaveBeenCalledWith('team-b');
    expect(stats.totals).toHaveBeenCalledWith('team-b');
    expect(stats.lastCleanup).not.toHaveBeenCalled();
  });

  it('shows a namespace that had nothing to sweep zeros, and its own later sweep when there is one', async () => {
    const { service, stats } = setup();
    expect((await service.status(operatorOf('team-c'))).lastSweep).toMatchObject({ namespace: 'team-c', ...figures(0) });
    const own: SweepResult = { ...wholeSweep, trigger: 'operator', finishedAt: '2026-11-22T11:59:30.000Z', namespace: 'team-c', ...figures(1), byNamespace: undefined };
    stats.lastSweep.mockImplementation(async (namespace) => (namespace === null ? wholeSweep : own));
    expect((await service.status(operatorOf('team-c'))).lastSweep).toMatchObject({ trigger: 'operator', ...figures(1) });
  });

  it('shows admins every namespace: the queue, the whole sweep and every failed job', async () => {
    const { service, repo } = setup();
    const status = await service.status(ALL);
    expect(status).toMatchObject({ namespace: null, queue: { waiting: 4, workers: 2 }, lastSweep: { namespace: null, ...figures(7) } });
    expect(status.failedJobs).toHaveLength(3);
    expect(repo.countByStatus).toHaveBeenCalledWith(null);
  });
});
