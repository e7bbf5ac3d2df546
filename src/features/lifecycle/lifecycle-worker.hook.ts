import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { Clock } from 'src/platform/clock/clock.js';
import { EventBusService, type DomainEvent } from 'src/platform/events/event-bus.service.js';
import { OnWorkersStarted, type WorkerStartHook } from 'src/platform/queue/job-definition.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { WorkerService } from 'src/platform/queue/worker.service.js';
import { scheduleChecks } from 'src/features/lifecycle/jobs/advance-session.job.js';
import { LifecycleSweepJob } from 'src/features/lifecycle/jobs/lifecycle-sweep.job.js';
import { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import { LIFECYCLE_QUEUE, SWEEP_SCHEDULE_ID } from 'src/features/lifecycle/lifecycle.types.js';
import { StartupCleanupService } from 'src/features/lifecycle/startup-cleanup.service.js';
import { SESSION_EVENTS } from 'src/features/sessions/sessions.service.js';

// What a process running workers does for the lifecycle: the start-up
// check, the periodic sweep, and a delayed job for every new or reactivated
// session whose next transition is near.
@Injectable()
@OnWorkersStarted()
export class LifecycleWorkerHook implements WorkerStartHook, OnModuleDestroy {
  readonly queue = LIFECYCLE_QUEUE;
  private readonly logger = new Logger(LifecycleWorkerHook.name);
  private stopListening?: () => void;

  constructor(
    private readonly cleanup: StartupCleanupService,
    private readonly lifecycle: LifecycleService,
    private readonly workers: WorkerService,
    private readonly queues: QueueService,
    private readonly events: EventBusService,
    private readonly clock: Clock,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  async onWorkersStarted(): Promise<void> {
    try {
      await this.cleanup.run();
    } catch (error) {
      // The sweep and the jobs do not depend on it; the next start tries again.
      this.logger.error({ err: (error as Error).message, stack: (error as Error).stack }, 'start-up check failed');
    }
    await this.workers.keepScheduled(LifecycleSweepJob, SWEEP_SCHEDULE_ID, this.config.lifecycle.sweepIntervalSeconds * 1000, { trigger: 'schedule' });
    this.stopListening = this.events.listen((event) => this.onEvent(event));
  }

  private onEvent(event: DomainEvent): void {
    const sessionKey = event.subject.sessionKey;
    const started = event.type === SESSION_EVENTS.created || (event.type === SESSION_EVENTS.statusChanged && event.subject.status === 'active');
    if (!started || sessionKey === undefined) return;
    // A missed check is caught by the next sweep, so a failure is only logged.
    this.lifecycle
      .nextCheck(event.namespace, sessionKey)
      .then((check) => (check ? scheduleChecks(this.queues, [check], this.clock.now()) : undefined))
      .catch((error: Error) => this.logger.warn({ sessionKey, err: error.message }, 'could not schedule a lifecycle check'));
  }

  onModuleDestroy(): void {
    this.stopListening?.();
  }
}
