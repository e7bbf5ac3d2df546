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
import { LIFECYCLE_QUEUE, SWEEP_SCHEDULE_ID, type LifecycleState, type LifecycleStatus, type OperatorReach, type SweepFigures, type SweepResult, type SweepRun } from 'src/features/lifecycle/lifecycle.types.js';
import { SessionError } from 'src/features/sessions/sessions.errors.js';
import { SESSION_EVENTS } from 'src/features/sessions/sessions.service.js';

const FAILED_JOBS_SHOWN = 20;
// A namespace's failed jobs are found among this many of the newest.
const FAILED_JOBS_SCANNED = 1_000;
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

  // The lifecycle as seen from one namespace, or from all of them (null,
  // for admins). A namespace's view holds only its own figures: its
  // sessions, transitions, sweeps and failed jobs; the shared queue's counts
  // and the start-up check's repairs belong to no namespace and are shown
  // only with the installation's figures.
  async status({ namespace, installation }: OperatorReach): Promise<LifecycleStatus> {
    const [queue, schedule, wholeSweep, ownSweep, lastCleanup, totals, failed, sessionsByStatus] = await Promise.all([
      installation ? this.queueFigures() : null,
      this.queues.scheduleInfo(LIFECYCLE_QUEUE, SWEEP_SCHEDULE_ID),
      this.stats.lastSweep(null),
      namespace === null ? null : this.stats.lastSweep(namespace),
      installation ? this.stats.lastCleanup() : null,
      this.stats.totals(namespace),
      this.queues.failed(LIFECYCLE_QUEUE, installation ? FAILED_JOBS_SHOWN : FAILED_JOBS_SCANNED),
      this.sessions.countByStatus(namespace),
    ]);
    return {
      namespace,
      queue,
      sweepSchedule: schedule ? { everyMs: schedule.everyMs, nextRunAt: schedule.nextRunAt } : null,
      lastSweep: latestSweep(namespace, wholeSweep, ownSweep),
      lastCleanup,
      totals,
      failedJobs: failed
        .filter((job) => installation || namespaceOfJob(job.data) === namespace)
        .slice(0, FAILED_JOBS_SHOWN)
        .map((job) => ({
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

  // Queues a sweep of the namespace (null: of all) and waits up to
  // waitSeconds for a worker to finish it.
  async runSweep(namespace: string | null, waitSeconds: number): Promise<SweepRun> {
    const jobId = await this.queues.enqueue(LifecycleSweepJob, { trigger: 'operator', namespace }, { attempts: 1 });
    const run = await this.awaitSweep(namespace, jobId, waitSeconds);
    await this.audit.record({ action: 'lifecycle.sweep_run', outcome: run.state === 'failed' ? 'failed' : 'success', ...concerning(namespace), target: jobId, detail: { state: run.state, ...(run.result ? { transitioned: run.result.transitioned } : {}) } });
    return run;
  }

  private async awaitSweep(namespace: string | null, jobId: string, waitSeconds: number): Promise<SweepRun> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const status = await this.queues.status(LIFECYCLE_QUEUE, jobId);
      if (status.state === 'completed') return { jobId, state: 'completed', result: latestSweep(namespace, status.result as SweepResult, null), failure: null };
      if (status.state === 'failed') return { jobId, state: 'failed', result: null, failure: status.reason };
      if (Date.now() >= deadline) return { jobId, state: status.state === 'active' ? 'running' : 'queued', result: null, failure: null };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  // Failed jobs of the namespace, or of the installation. A job of another
  // namespace is answered as if it were not in the failed set.
  async retryFailed({ namespace, installation }: OperatorReach, jobId: string | undefined): Promise<number> {
    const retried = await this.queues.retryFailed(LIFECYCLE_QUEUE, jobId, installation ? undefined : (data) => namespaceOfJob(data) === namespace);
    await this.audit.record({ action: 'jobs.retried', outcome: jobId !== undefined && retried === 0 ? 'failed' : 'success', ...concerning(namespace), target: jobId ?? `${LIFECYCLE_QUEUE}:all-failed`, detail: { queue: LIFECYCLE_QUEUE, retried } });
    if (jobId !== undefined && retried === 0) {
      throw new LifecycleError(LifecycleErrorCode.InvalidArgument, `Job "${jobId}" is not in the lifecycle failed set; get_lifecycle_status lists the failed jobs and their ids.`, { jobId });
    }
    return retried;
  }

  private async queueFigures(): Promise<LifecycleStatus['queue']> {
    const [{ queue: _name, ...counts }, workers] = await Promise.all([this.queues.counts(LIFECYCLE_QUEUE), this.queues.workerCount(LIFECYCLE_QUEUE)]);
    return { ...counts, workers };
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
    // Recorded before anyone is told, as every audited change is.
    await this.audit.record({ action: hold ? 'legal_hold.set' : 'legal_hold.lifted', outcome: 'success', namespace, target: sessionKey, detail: { reason: reason.slice(0, AUDIT_REASON_CHARS) } });
    await this.events.publish({ namespace, type: SESSION_EVENTS.legalHoldChanged, subject: { sessionKey } });
    const check = hold ? null : this.lifecycle.nextCheckOf(updated);
    if (check) await scheduleChecks(this.queues, [check], this.clock.now());
    return updated;
  }
}

// The namespace an audit record concerns: the one acted on, or (for all of
// them) the caller's.
function concerning(namespace: string | null): { namespace?: string } {
  return namespace === null ? {} : { namespace };
}

// Every lifecycle job's payload names the namespace of its session, or of
// the sweep (null for a sweep of all).
function namespaceOfJob(data: unknown): string | null | undefined {
  const namespace = (data as { namespace?: unknown } | null)?.namespace;
  return typeof namespace === 'string' || namespace === null ? namespace : undefined;
}

const NO_FIGURES: SweepFigures = { transitioned: { dormant: 0, expired: 0, archived: 0, purged: 0 }, archivesQueued: 0, checksScheduled: 0 };

// The later of the last sweep of every namespace and the last sweep of the
// namespace alone, as the namespace (null: all) sees them.
function latestSweep(namespace: string | null, whole: SweepResult | null, own: SweepResult | null): SweepResult | null {
  const seen = whole && seenFrom(namespace, whole);
  return own !== null && (seen === null || own.finishedAt > seen.finishedAt) ? own : seen;
}

// A sweep of every namespace shows a namespace its own figures only.
function seenFrom(namespace: string | null, sweep: SweepResult): SweepResult {
  const { byNamespace, ...result } = sweep;
  const swept = result.namespace ?? null;
  if (namespace === null || swept === namespace) return { ...result, namespace: swept };
  return { ...result, ...(byNamespace?.[namespace] ?? NO_FIGURES), namespace };
}
