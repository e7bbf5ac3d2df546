import { Injectable } from '@nestjs/common';

import { Clock } from 'src/platform/clock/clock.js';
import { defineJob, JobProcessor, type JobHandler } from 'src/platform/queue/job-definition.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
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
export const LifecycleSweepJob = defineJob<LifecycleSweepData>(LIFECYCLE_QUEUE, 'sweep');

@Injectable()
@JobProcessor()
export class LifecycleSweepHandler implements JobHandler<LifecycleSweepData, SweepResult> {
  readonly job = LifecycleSweepJob;

  constructor(
    private readonly lifecycle: LifecycleService,
    private readonly queues: QueueService,
    private readonly clock: Clock,
  ) {}

  async handle(data: LifecycleSweepData): Promise<SweepResult> {
    const { result, checks } = await this.lifecycle.sweep(data.trigger, data.namespace ?? null);
    await scheduleChecks(this.queues, checks, this.clock.now());
    return result;
  }
}
