import { Injectable } from '@nestjs/common';

import { Clock } from 'src/platform/clock/clock.js';
import { defineJob, JobProcessor, type JobHandler } from 'src/platform/queue/job-definition.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import { LIFECYCLE_QUEUE, type AdvanceOutcome, type ScheduledCheck } from 'src/features/lifecycle/lifecycle.types.js';

export interface AdvanceSessionData {
  sessionId: string;
  // The session's namespace, so operators see and retry their own jobs only.
  namespace: string;
}

// Runs at a session's transition time: applies what is due and schedules
// the next look.
export const AdvanceSessionJob = defineJob<AdvanceSessionData>(LIFECYCLE_QUEUE, 'advance-session');

// One delayed job per session and due time: scheduling the same check again
// (the sweeper, several workers hearing one event) adds nothing while it is
// pending. A finished check is forgotten, so the same due time can be checked
// again after the session changed (a legal hold lifted, say); a failed one
// stays in the failed set, and is not re-added, until an operator retries it.
export async function scheduleChecks(queues: QueueService, checks: readonly ScheduledCheck[], now: Date): Promise<void> {
  for (let start = 0; start < checks.length; start += 1000) {
    await queues.enqueueMany(
      AdvanceSessionJob,
      checks.slice(start, start + 1000).map((check) => ({
        data: { sessionId: check.sessionId, namespace: check.namespace },
        options: { jobId: `advance-${check.sessionId}-${check.at.getTime()}`, delayMs: check.at.getTime() - now.getTime(), forgetOnSuccess: true },
      })),
    );
  }
}

@Injectable()
@JobProcessor()
export class AdvanceSessionHandler implements JobHandler<AdvanceSessionData, AdvanceOutcome> {
  readonly job = AdvanceSessionJob;

  constructor(
    private readonly lifecycle: LifecycleService,
    private readonly queues: QueueService,
    private readonly clock: Clock,
  ) {}

  async handle(data: AdvanceSessionData): Promise<AdvanceOutcome> {
    const outcome = await this.lifecycle.advance(data.sessionId);
    if (outcome.next) await scheduleChecks(this.queues, [outcome.next], this.clock.now());
    return outcome;
  }
}
