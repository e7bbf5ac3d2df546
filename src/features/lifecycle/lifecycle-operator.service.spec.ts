import { jest } from '@jest/globals';

import type { AuditTrail } from 'src/platform/audit/audit-trail.js';
import type { Clock } from 'src/platform/clock/clock.js';
import type { EventBusService } from 'src/platform/events/event-bus.service.js';
import type { QueueService } from 'src/platform/queue/queue.service.js';
import { LifecycleOperatorService } from 'src/features/lifecycle/lifecycle-operator.service.js';
import type { LifecycleRepository } from 'src/features/lifecycle/lifecycle.repository.js';
import type { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import type { LifecycleStatsRepository } from 'src/features/lifecycle/lifecycle-stats.repository.js';
import type { LifecycleState } from 'src/features/lifecycle/lifecycle.types.js';

const now = new Date('2026-11-22T12:00:00Z');

function archived(overrides: Partial<LifecycleState> = {}): LifecycleState {
  return { id: 'id-1', namespace: 'default', sessionKey: 'k1', status: 'archived', tags: [], lastActivityAt: now, expiresAt: now, archivedAt: now, legalHold: false, ...overrides };
}

function setup() {
  const repo = { findStateByKey: jest.fn<LifecycleRepository['findStateByKey']>(), setLegalHold: jest.fn<LifecycleRepository['setLegalHold']>() };
  const lifecycle = { nextCheckOf: jest.fn<LifecycleService['nextCheckOf']>().mockReturnValue(null) };
  const queues = { enqueueMany: jest.fn<QueueService['enqueueMany']>().mockResolvedValue(), retryFailed: jest.fn<QueueService['retryFailed']>() };
  const events = { publish: jest.fn<EventBusService['publish']>() };
  const audit = { record: jest.fn<AuditTrail['record']>().mockResolvedValue() };
  const service = new LifecycleOperatorService(
    lifecycle as unknown as LifecycleService,
    repo as unknown as LifecycleRepository,
    {} as LifecycleStatsRepository,
    queues as unknown as QueueService,
    events as unknown as EventBusService,
    { now: () => now } as Clock,
    audit as unknown as AuditTrail,
  );
  return { service, repo, lifecycle, queues, events, audit };
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
    lifecycle.nextCheckOf.mockReturnValue({ sessionId: 'id-1', at: new Date(now.getTime() - 1000) });
    await service.setLegalHold('default', 'k1', false, 'case closed');
    expect(audit.record.mock.calls).toEqual([[{ action: 'legal_hold.lifted', outcome: 'success', namespace: 'default', target: 'k1', detail: { reason: 'case closed' } }]]);
    expect(queues.enqueueMany).toHaveBeenCalledWith(expect.objectContaining({ name: 'advance-session' }), [
      { data: { sessionId: 'id-1' }, options: { jobId: `advance-id-1-${now.getTime() - 1000}`, delayMs: -1000, forgetOnSuccess: true } },
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
    await expect(service.retryFailed('nope')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('get_lifecycle_status') });
    expect(await service.retryFailed(undefined)).toBe(3);
    expect(audit.record.mock.calls).toEqual([
      [{ action: 'jobs.retried', outcome: 'failed', target: 'nope', detail: { queue: 'lifecycle', retried: 0 } }],
      [{ action: 'jobs.retried', outcome: 'success', target: 'lifecycle:all-failed', detail: { queue: 'lifecycle', retried: 3 } }],
    ]);
  });
});
