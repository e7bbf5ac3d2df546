import { jest } from '@jest/globals';

import type { Clock } from 'src/platform/clock/clock.js';
import type { QueueService } from 'src/platform/queue/queue.service.js';
import type { AuditService } from 'src/features/audit/audit.service.js';
import { LifecycleSweepHandler } from 'src/features/lifecycle/jobs/lifecycle-sweep.job.js';
import type { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import type { SweepOutcome } from 'src/features/lifecycle/lifecycle.types.js';

const result = { trigger: 'schedule', startedAt: '', finishedAt: '', durationMs: 1, transitioned: { dormant: 0, expired: 0, archived: 0, purged: 0 }, archivesQueued: 0, checksScheduled: 0, namespace: null };

function setup() {
  const lifecycle = { sweep: jest.fn<LifecycleService['sweep']>().mockResolvedValue({ result, checks: [] } as SweepOutcome) };
  const audit = { purgeExpired: jest.fn<AuditService['purgeExpired']>().mockResolvedValue(3) };
  const handler = new LifecycleSweepHandler(lifecycle as unknown as LifecycleService, {} as QueueService, { now: () => new Date() } as Clock, audit as unknown as AuditService);
  return { handler, audit };
}

describe('LifecycleSweepHandler', () => {
  it('purges audit events past their retention on every sweep', async () => {
    const { handler, audit } = setup();
    expect(await handler.handle({ trigger: 'schedule' })).toBe(result);
    expect(audit.purgeExpired).toHaveBeenCalledTimes(1);
  });

  it('leaves the trail alone on an operator\'s sweep of one namespace', async () => {
    const { handler, audit } = setup();
    expect(await handler.handle({ trigger: 'operator', namespace: 'team-b' })).toBe(result);
    expect(audit.purgeExpired).not.toHaveBeenCalled();
  });

  it('keeps the sweep\'s result when the purge fails', async () => {
    const { handler, audit } = setup();
    audit.purgeExpired.mockRejectedValue(new Error('statement timeout'));
    await expect(handler.handle({ trigger: 'operator' })).resolves.toBe(result);
  });
});
