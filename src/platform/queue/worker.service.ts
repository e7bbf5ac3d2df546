import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { Job, UnrecoverableError, Worker } from 'bullmq';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { declaredJobs, JOB_HANDLER, WORKER_START_HOOK, type JobDefinition, type JobHandler, type WorkerStartHook } from 'src/platform/queue/job-definition.js';
import { QueueService, queueTelemetry } from 'src/platform/queue/queue.service.js';
import { QueueBackendService } from 'src/platform/queue/queue-backend.service.js';
import { isRedisOutage } from 'src/platform/redis/redis-errors.js';
import { RedisService } from 'src/platform/redis/redis.service.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';

// Consumer side: one BullMQ Worker per queue, dispatching each job to the
// handler of its name. Started by `baton worker`, and by `baton serve` when
// BATON_WORKERS_IN_SERVE is on.
@Injectable()
export class WorkerService implements OnModuleDestroy {
  private readonly logger = new Logger(WorkerService.name);
  private readonly metrics = batonMetrics();
  private readonly workers: Worker[] = [];
  private readonly scheduleTimers: NodeJS.Timeout[] = [];
  private creating?: Promise<void>;
  private started?: Promise<void>;
  private closing = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly backend: QueueBackendService,
    private readonly redis: RedisService,
    private readonly queues: QueueService,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  get running(): boolean {
    return this.started !== undefined;
  }

  // Settles once the launched workers are connected and their start hooks
  // have run (at once when none were launched).
  async whenStarted(): Promise<void> {
    await this.started;
  }

  // Starts the workers and settles once they are connected and their start
  // hooks have run.
  async start(only?: readonly string[]): Promise<void> {
    this.launch(only);
    await this.whenStarted();
  }

  // All queues, or only the given ones (`baton stdio` in service mode serves
  // just the queue of work that must run on its own machine). Returns at
  // once: the workers connect in the background, and the start hooks run once
  // they are up, so a Redis outage never holds up start-up. A job without a
  // handler throws here, before anything starts.
  launch(only?: readonly string[]): void {
    if (this.running) return;
    const handlers = this.collectHandlers();
    const queues = new Set([...handlers.keys()].map((key) => key.split('/')[0] as string).filter((queue) => !only || only.includes(queue)));
    this.creating = this.createWorkers(handlers, queues).catch((error: Error) => {
      this.logger.error({ err: error.message }, 'workers could not be created');
    });
    this.started = this.creating.then(() => this.whenConnected(queues));
  }

  private async createWorkers(handlers: Map<string, JobHandler>, queues: Set<string>): Promise<void> {
    const { UnrecoverableError } = await this.backend.bullmq();
    for (const queue of queues) {
      if (this.closing) return;
      const worker = await this.backend.createWorker(queue, (job) => this.dispatch(handlers, queue, job, UnrecoverableError), {
        concurrency: this.config.queue.concurrency,
        lockDuration: this.config.queue.lockDurationMs,
        stalledInterval: this.config.queue.stalledCheckMs,
        // An idle worker's blocking poll returns after this many seconds; a
        // new job wakes it at once either way. Short, so closing the worker
        // (SIGTERM, tests) does not wait out a 5 s poll.
        drainDelay: 1,
        autorun: false,
        telemetry: await queueTelemetry(),
      });
      worker.on('failed', (job, error) => {
        this.logger.warn({ queue, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, err: error.message }, 'job failed');
        const final = job === undefined || job.attemptsMade >= (job.opts.attempts ?? 1);
        this.metrics.jobFailures.add(1, { 'baton.queue.name': queue, 'baton.job.name': job?.name ?? 'unknown', 'baton.job.final': final });
      });
      worker.on('stalled', (jobId) => this.logger.warn({ queue, jobId }, 'job stalled (its worker stopped); returned to waiting'));
      // Connection errors reach RedisService through the worker's connection,
      // which logs the outage once; only other failures are news here.
      worker.on('error', (error) => {
        if (isRedisOutage(error)) this.logger.debug({ queue, err: error.message }, 'worker waiting for Redis');
        else this.logger.error({ queue, err: error.message }, 'worker error');
      });
      this.workers.push(worker);
      if (this.closing) return;
      worker.run().catch((error: Error) => {
        if (!this.closing) this.logger.error({ queue, err: error.message }, 'worker stopped');
      });
    }
  }

  private async whenConnected(queues: Set<string>): Promise<void> {
    try {
      await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
    } catch (error) {
      if (!this.closing) this.logger.error({ err: (error as Error).message }, 'workers could not connect');
      return;
    }
    if (this.closing) return;
    this.logger.log({ queues: [...queues] }, 'workers started');
    const hooks = this.collectStartHooks().filter((h) => queues.has(h.queue));
    for (const hook of hooks) {
      if (this.closing) return;
      try {
        await hook.onWorkersStarted();
      } catch (error) {
        // The workers are useful without it; the hook's owner reports what failed.
        this.logger.error({ hook: hook.constructor.name, err: (error as Error).message, stack: (error as Error).stack }, 'a worker start hook failed');
      }
    }
    this.logger.debug({ hooks: hooks.map((hook) => hook.constructor.name) }, 'worker start hooks done');
  }

  // Keeps a job scheduler in place while the workers run. Re-upserting is
  // idempotent, so doing it every period restores a scheduler that Redis
  // lost (flushed, failed over without persistence) within one period.
  async keepScheduled<Data>(job: JobDefinition<Data>, scheduleId: string, everyMs: number, data: Data): Promise<void> {
    await this.queues.schedule(job, scheduleId, everyMs, data);
    const timer = setInterval(() => {
      this.queues.schedule(job, scheduleId, everyMs, data).catch((error: Error) => this.logger.warn({ scheduleId, err: error.message }, 'could not restore a job schedule'));
    }, everyMs);
    timer.unref();
    this.scheduleTimers.push(timer);
  }

  private collectHandlers(): Map<string, JobHandler> {
    const handlers = new Map<string, JobHandler>();
    for (const handler of this.providersMarked<JobHandler>(JOB_HANDLER)) {
      const key = `${handler.job.queue}/${handler.job.name}`;
      if (handlers.has(key)) throw new Error(`Two handlers are registered for job ${key}`);
      handlers.set(key, handler);
    }
    const missing = declaredJobs().filter((job) => !handlers.has(`${job.queue}/${job.name}`));
    if (missing.length > 0) throw new Error(`These jobs have no handler: ${missing.map((j) => `${j.queue}/${j.name}`).join(', ')}`);
    return handlers;
  }

  private collectStartHooks(): WorkerStartHook[] {
    return this.providersMarked<WorkerStartHook>(WORKER_START_HOOK);
  }

  private providersMarked<T>(marker: symbol): T[] {
    return this.discovery
      .getProviders()
      .filter((wrapper) => wrapper.instance && wrapper.metatype && this.reflector.get(marker, wrapper.metatype))
      .map((wrapper) => wrapper.instance as T);
  }

  private async dispatch(handlers: Map<string, JobHandler>, queue: string, job: Job, unrecoverable: typeof UnrecoverableError): Promise<unknown> {
    const handler = handlers.get(`${queue}/${job.name}`);
    // A job nobody can run must not be retried forever.
    if (!handler) throw new unrecoverable(`No handler for job ${queue}/${job.name}`);
    const kind = { 'baton.queue.name': queue, 'baton.job.name': job.name };
    const started = Date.now();
    // First tries only: from when the job became due (enqueued, plus its delay) to its start.
    if (job.attemptsMade === 0) this.metrics.jobWait.record(Math.max(0, started - job.timestamp - (job.delay ?? 0)) / 1000, kind);
    let outcome = 'completed';
    try {
      return await handler.handle(job.data, {
        id: job.id as string,
        attempt: job.attemptsMade + 1,
        progress: (value) => job.updateProgress(value),
      });
    } catch (error) {
      outcome = 'failed';
      throw error;
    } finally {
      this.metrics.jobDuration.record((Date.now() - started) / 1000, { ...kind, 'baton.job.outcome': outcome });
    }
  }

  // Runs before the database and Redis connections close (global modules are
  // destroyed last, and this service before the QueueService it uses), so
  // active jobs can finish.
  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    for (const timer of this.scheduleTimers.splice(0)) clearInterval(timer);
    await this.creating;
    // close() lets active jobs finish; an interrupted one is retried by
    // another worker once its lock expires. With Redis away there is nothing
    // to finish and nothing to wait for.
    const force = this.backend.kind === 'redis' && !this.redis.available;
    await Promise.all(this.workers.map((w) => w.close(force)));
    this.workers.length = 0;
  }
}
