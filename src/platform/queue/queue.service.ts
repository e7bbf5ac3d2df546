import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import type { BullMQOtel } from 'bullmq-otel';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { QueueBackendService } from 'src/platform/queue/queue-backend.service.js';
import { declaredJobs, type JobDefinition } from 'src/platform/queue/job-definition.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';
import { telemetryRuntime } from 'src/platform/telemetry/telemetry.js';

export interface EnqueueOptions {
  // Deterministic ids make enqueueing idempotent: a job with the same id is
  // not added twice while it exists.
  jobId?: string;
  delayMs?: number;
  attempts?: number;
  backoffMs?: number;
  priority?: number;
  // Drop the job once it succeeds, so its id can be used again. Otherwise the
  // last completed jobs are kept for a day (their results stay readable),
  // and an id of one of them is not added again meanwhile.
  forgetOnSuccess?: boolean;
}

export interface QueueCounts {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  prioritized: number;
}

export interface ScheduleInfo {
  id: string;
  everyMs: number | null;
  nextRunAt: Date | null;
}

export interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  reason: string;
  failedAt: Date | null;
}

export type JobStatus =
  | { state: 'completed'; result: unknown }
  | { state: 'failed'; reason: string; attempts: number }
  | { state: 'waiting' | 'active' | 'delayed' | 'prioritized' | 'waiting-children' | 'unknown' };

// Producer side of BullMQ: one Queue per queue name, on Redis or PostgreSQL.
@Injectable()
export class QueueService implements OnModuleDestroy {
  private readonly queues = new Map<string, Promise<Queue>>();

  constructor(
    private readonly backend: QueueBackendService,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {
    const metrics = batonMetrics();
    metrics.observe('baton.queue.jobs', async (observe) => {
      for (const name of this.queueNames()) {
        const { queue, ...states } = await this.counts(name);
        for (const [state, count] of Object.entries(states)) observe(count, { 'baton.queue.name': queue, 'baton.job.state': state });
      }
    });
    metrics.observe('baton.queue.workers', async (observe) => {
      for (const name of this.queueNames()) observe(await this.workerCount(name), { 'baton.queue.name': name });
    });
  }

  // The queue, once the shared connection is up: BullMQ would otherwise
  // wait for Redis without end, holding the caller.
  private async queue(name: string): Promise<Queue> {
    await this.backend.connected();
    let queue = this.queues.get(name);
    if (!queue) {
      // Concurrent first calls share one queue.
      queue = this.createQueue(name);
      this.queues.set(name, queue);
    }
    return queue;
  }

  private async createQueue(name: string): Promise<Queue> {
    const queue = await this.backend.createQueue(name, { telemetry: await queueTelemetry() });
    // Connection errors are RedisService's to report (on PostgreSQL they
    // fail the call); without a listener BullMQ's re-emitted 'error' would
    // crash the process.
    queue.on('error', () => undefined);
    return queue;
  }

  async enqueue<Data>(job: JobDefinition<Data>, data: Data, options: EnqueueOptions = {}): Promise<string> {
    const queue = await this.queue(job.queue);
    const added = await queue.add(job.name, data, this.jobOptions(options));
    return added.id as string;
  }

  // One round trip for many jobs of one kind.
  async enqueueMany<Data>(job: JobDefinition<Data>, items: readonly { data: Data; options?: EnqueueOptions }[]): Promise<void> {
    if (items.length === 0) return;
    const queue = await this.queue(job.queue);
    await queue.addBulk(items.map((item) => ({ name: job.name, data: item.data, opts: this.jobOptions(item.options ?? {}) })));
  }

  // Creates or updates a BullMQ job scheduler that adds the job every
  // everyMs; upserting the same schedule again changes nothing.
  async schedule<Data>(job: JobDefinition<Data>, scheduleId: string, everyMs: number, data: Data): Promise<void> {
    const { attempts, backoff, removeOnComplete, removeOnFail } = this.jobOptions({});
    const queue = await this.queue(job.queue);
    await queue.upsertJobScheduler(scheduleId, { every: everyMs }, { name: job.name, data, opts: { attempts, backoff, removeOnComplete, removeOnFail } });
  }

  async scheduleInfo(queueName: string, scheduleId: string): Promise<ScheduleInfo | null> {
    const queue = await this.queue(queueName);
    const scheduler = await queue.getJobScheduler(scheduleId);
    if (!scheduler) return null;
    return { id: scheduleId, everyMs: scheduler.every ?? null, nextRunAt: scheduler.next !== undefined ? new Date(scheduler.next) : null };
  }

  async remove(queueName: string, jobId: string): Promise<void> {
    const queue = await this.queue(queueName);
    await queue.remove(jobId);
  }

  async counts(queueName: string): Promise<QueueCounts> {
    const queue = await this.queue(queueName);
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    return {
      queue: queueName,
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      prioritized: counts.prioritized ?? 0,
    };
  }

  async workerCount(queueName: string): Promise<number> {
    const queue = await this.queue(queueName);
    return queue.getWorkersCount();
  }

  // The failed set, newest first: jobs that used up their retries.
  async failed(queueName: string, limit: number): Promise<FailedJob[]> {
    const queue = await this.queue(queueName);
    const jobs = await queue.getFailed(0, limit - 1);
    return jobs.map((job) => ({
      id: job.id as string,
      name: job.name,
      data: job.data as unknown,
      attempts: job.attemptsMade,
      reason: job.failedReason,
      failedAt: job.finishedOn !== undefined ? new Date(job.finishedOn) : null,
    }));
  }

  // Moves failed jobs back to waiting with fresh attempts: one job, or all of
  // them; only those whose payload `accepts` approves, when given. Returns
  // how many were moved.
  async retryFailed(queueName: string, jobId?: string, accepts?: (data: unknown) => boolean): Promise<number> {
    const queue = await this.queue(queueName);
    if (jobId !== undefined) {
      const job = await queue.getJob(jobId);
      if (!job || (await job.getState()) !== 'failed' || (accepts && !accepts(job.data))) return 0;
      await job.retry('failed');
      return 1;
    }
    if (accepts) {
      const failed = await queue.getFailedCount();
      const chosen = failed === 0 ? [] : (await queue.getFailed(0, failed - 1)).filter((job) => accepts(job.data));
      for (const job of chosen) await job.retry('failed');
      return chosen.length;
    }
    const count = await queue.getFailedCount();
    if (count > 0) await queue.retryJobs({ state: 'failed', count: 1000 });
    return count;
  }

  async status(queueName: string, jobId: string): Promise<JobStatus> {
    const queue = await this.queue(queueName);
    const job = await queue.getJob(jobId);
    if (!job) return { state: 'unknown' };
    const state = await job.getState();
    if (state === 'completed') return { state, result: job.returnvalue as unknown };
    if (state === 'failed') return { state, reason: job.failedReason, attempts: job.attemptsMade };
    return { state };
  }

  // Active jobs whose lock has run out: their worker died mid-job. The
  // stalled check of any running worker returns them to waiting.
  async staleActiveJobs(queueName: string): Promise<string[]> {
    return this.backend.staleActiveJobs(await this.queue(queueName));
  }

  private queueNames(): string[] {
    return [...new Set(declaredJobs().map((job) => job.queue))];
  }

  private jobOptions(options: EnqueueOptions): JobsOptions {
    return {
      jobId: options.jobId,
      delay: options.delayMs !== undefined ? Math.max(0, Math.round(options.delayMs)) : undefined,
      attempts: options.attempts ?? this.config.queue.attempts,
      backoff: { type: 'exponential', delay: options.backoffMs ?? this.config.queue.backoffMs },
      priority: options.priority,
      removeOnComplete: options.forgetOnSuccess ? true : { age: 24 * 60 * 60, count: 1_000 },
      removeOnFail: { age: 7 * 24 * 60 * 60 },
    };
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map(async (q) => (await q).close()));
  }
}

// BullMQ's OpenTelemetry bridge carries the enqueuing request's trace context
// in the job, so the job's span links to the request; only when tracing is on.
export async function queueTelemetry(): Promise<BullMQOtel | undefined> {
  if (!telemetryRuntime()?.tracing) return undefined;
  const { BullMQOtel } = await import('bullmq-otel');
  return new BullMQOtel({ tracerName: 'baton.queue' });
}
