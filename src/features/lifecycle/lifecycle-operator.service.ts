import { Injectable } from '@nestjs/common';

import { AuditTrail } from 'src/platform/audit/audit-trail.js';
import { Clock } from 'src/platform/clock/clock.js';
import { EventBusService } from 'src/platform/events/event-bus.service.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { scheduleChecks } from 'src/features/lifecycle/jobs/advance-session.job.js';
import { LifecycleSweepJob } from 'src/features/lifecycle/jobs/lifecycle-sweep.job.js';
import { LifecycleError, LifecycleErrorCode } from 'src/features/lifecycle/lifecycle.errors.js';
import { LifecycleRepository } from 'src/features/lifecycle/lifecycle.repository.js';
import { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import { LifecycleStatsRepository } from 'src/features/lifecycle/lifecycle-stats.repository.js';
import { LIFECYCLE_QUEUE, SWEEP_SCHEDULE_ID, type LifecycleState, type LifecycleStatus, type SweepResult, type SweepRun } from 'src/features/lifecycle/lifecycle.types.js';
import { SessionError } from 'src/features/sessions/sessions.errors.js';
import { SESSION_EVENTS } from 'src/features/sessions/sessions.service.js';

const FAILED_JOBS_SHOWN = 20;
const POLL_MS = 100;
// An operator's reason goes to the audit trail as written, up to this length.
const AUDIT_REASON_CHARS = 200;

// What operators see and do: queue and job state, a sweep on demand, retries
// of failed jobs, legal holds.
@Injectable()
export class LifecycleOperatorService {
  constructor(
    private readonly lifecycle: LifecycleService,
    private readonly sessions: LifecycleRepository,
    private readonly stats: LifecycleStatsRepository,
    private readonly queues: QueueService,
    private readonly events: EventBusService,
    private readonly clock: Clock,
    private readonly audit: AuditTrail,
  ) {}

  // Queue figures are Baton-wide; session counts are the caller's namespace.
  async status(namespace: string): Promise<LifecycleStatus> {
    const [counts, workers, schedule, lastSweep, lastCleanup, totals, failed, sessionsByStatus] = await Promise.all([
      this.queues.counts(LIFECYCLE_QUEUE),
      this.queues.workerCount(LIFECYCLE_QUEUE),
      this.queues.scheduleInfo(LIFECYCLE_QUEUE, SWEEP_SCHEDULE_ID),
      this.stats.lastSweep(),
      this.stats.lastCleanup(),
      this.stats.totals(),
      this.queues.failed(LIFECYCLE_QUEUE, FAILED_JOBS_SHOWN),
      this.sessions.countByStatus(namespace),
    ]);
    const { queue: _name, ...queue } = counts;
    return {
      queue: { ...queue, workers },
      sweepSchedule: schedule ? { everyMs: schedule.everyMs, nextRunAt: schedule.nextRunAt } : null,
      lastSweep,
      lastCleanup,
      totals,
      failedJobs: failed.map((job) => ({
        jobId: job.id,
        name: job.name,
        sessionId: typeof (job.data as { sessionId?: unknown } | null)?.sessionId === 'string' ? (job.data as { sessionId: string }).sessionId : null,
        attempts: job.attempts,
        reason: job.reason,
        failedAt: job.failedAt,
      })),
      sessionsByStatus,
    };
  }

  // Queues a sweep and waits up to waitSeconds for a worker to finish it.
  async runSweep(waitSeconds: number): Promise<SweepRun> {
    const jobId = await this.queues.enqueue(LifecycleSweepJob, { trigger: 'operator' }, { attempts: 1 });
    const run = await this.awaitSweep(jobId, waitSeconds);
    await this.audit.record({ action: 'lifecycle.sweep_run', outcome: run.state === 'failed' ? 'failed' : 'success', target: jobId, detail: { state: run.state, ...(run.result ? { transitioned: run.result.transitioned } : {}) } });
    return run;
  }

  private async awaitSweep(jobId: string, waitSeconds: number): Promise<SweepRun> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const status = await this.queues.status(LIFECYCLE_QUEUE, jobId);
      if (status.state === 'completed') return { jobId, state: 'completed', result: status.result as SweepResult, failure: null };
      if (status.state === 'failed') return { jobId, state: 'failed', result: null, failure: status.reason };
      if (Date.now() >= deadline) return { jobId, state: status.state === 'active' ? 'running' : 'queued', result: null, failure: null };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async retryFailed(jobId: string | undefined): Promise<number> {
    const retried = await this.queues.retryFailed(LIFECYCLE_QUEUE, jobId);
    await this.audit.record({ action: 'jobs.retried', outcome: jobId !== undefined && retried === 0 ? 'failed' : 'success', target: jobId ?? `${LIFECYCLE_QUEUE}:all-failed`, detail: { queue: LIFECYCLE_QUEUE, retried } });
    if (jobId !== undefined && retried === 0) {
      throw new LifecycleError(LifecycleErrorCode.InvalidArgument, `Job "${jobId}" is not in the lifecycle failed set; get_lifecycle_status lists the failed jobs and their ids.`, { jobId });
    }
    return retried;
  }

  // A held session is never purged; lifting the hold lets the retention
  // policy apply again (a session already past it is purged by the next
  // check).
  async setLegalHold(namespace: string, sessionKey: string, hold: boolean, reason: string): Promise<LifecycleState> {
    const current = await this.sessions.findStateByKey(namespace, sessionKey);
    if (!current) throw SessionError.notFound(sessionKey);
    if (current.status === 'purged') throw SessionError.purged(sessionKey, current.archivedAt);
    if (current.legalHold === hold) return current;
    const updated = await this.sessions.setLegalHold(namespace, sessionKey, hold, reason, this.clock.now());
    if (!updated) throw SessionError.notFound(sessionKey);
    // A purge that committed between the read and the update.
    if (updated.status === 'purged') throw SessionError.purged(sessionKey, updated.archivedAt);
    await this.events.publish({ namespace, type: SESSION_EVENTS.legalHoldChanged, subject: { sessionKey } });
    await this.audit.record({ action: hold ? 'legal_hold.set' : 'legal_hold.lifted', outcome: 'success', namespace, target: sessionKey, detail: { reason: reason.slice(0, AUDIT_REASON_CHARS) } });
    const check = hold ? null : this.lifecycle.nextCheckOf(updated);
    if (check) await scheduleChecks(this.queues, [check], this.clock.now());
    return updated;
  }
}
