import { Injectable, Logger } from '@nestjs/common';

import { Clock } from 'src/platform/clock/clock.js';
import { defineJob, JobProcessor, type JobHandler } from 'src/platform/queue/job-definition.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { AuditService } from 'src/features/audit/audit.service.js';
import { scheduleChecks } from 'src/features/lifecycle/jobs/advance-session.job.js';
import { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import { LIFECYCLE_QUEUE, type SweepResult } from 'src/features/lifecycle/lifecycle.types.js';

export interface LifecycleSweepData {
  // Who asked: the periodic schedule or an operator.
  trigger: 'schedule' | 'operator';
  // The namespace an operator swept; every namespace when null or absent.
  namespace?: string | null;
}

// The periodic catch-up (a BullMQ job scheduler adds it every
// BATON_SWEEP_INTERVAL_SECONDS), also run on demand by run_lifecycle_sweep.
// It also deletes audit events past BATON_AUDIT_RETENTION_DAYS.
export const LifecycleSweepJob = defineJob<LifecycleSweepData>(LIFECYCLE_QUEUE, 'sweep');

@Injectable()
@JobProcessor()
export class LifecycleSweepHandler implements JobHandler<LifecycleSweepData, SweepResult> {
  readonly job = LifecycleSweepJob;
  private readonly logger = new Logger(LifecycleSweepHandler.name);

  constructor(
    private readonly lifecycle: LifecycleService,
    private readonly queues: QueueService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async handle(data: LifecycleSweepData): Promise<SweepResult> {
    const { result, checks } = await this.lifecycle.sweep(data.trigger, data.namespace ?? null);
    await scheduleChecks(this.queues, checks, this.clock.now());
    // The trail's retention is Baton-wide: an operator's sweep of one namespace leaves it.
    if ((data.namespace ?? null) !== null) return result;
    try {
      await this.audit.purgeExpired();
    } catch (error) {
      // The sweep's own work is done; the next sweep purges what this one could not.
      this.logger.warn({ err: (error as Error).message }, 'could not purge audit events past their retention');
    }
    return result;
  }
}
