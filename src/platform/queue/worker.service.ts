import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { declaredJobs, JOB_HANDLER, type JobHandler } from 'src/platform/queue/job-definition.js';
import { RedisService } from 'src/platform/redis/redis.service.js';

// Consumer side: one BullMQ Worker per queue, dispatching each job to the
// handler of its name. Started by `baton worker`, and by `baton serve` when
// BATON_WORKERS_IN_SERVE is on.
@Injectable()
export class WorkerService implements OnApplicationShutdown {
  private readonly logger = new Logger(WorkerService.name);
  private readonly workers: Worker[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly redis: RedisService,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  get running(): boolean {
    return this.workers.length > 0;
  }

  // All queues, or only the given ones (`baton stdio` serves just the queue
  // of work that must run on its own machine).
  async start(only?: readonly string[]): Promise<void> {
    if (this.running) return;
    const handlers = this.collectHandlers();
    const queues = new Set([...handlers.keys()].map((key) => key.split('/')[0] as string).filter((queue) => !only || only.includes(queue)));
    for (const queue of queues) {
      const worker = new Worker(queue, (job) => this.dispatch(handlers, queue, job), {
        connection: this.redis.connect(`worker-${queue}`),
        prefix: this.redis.key('bull'),
        concurrency: this.config.queue.concurrency,
        autorun: false,
      });
      worker.on('failed', (job, error) => this.logger.warn({ queue, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, err: error.message }, 'job failed'));
      worker.on('error', (error) => this.logger.error({ queue, err: error.message }, 'worker error'));
      this.workers.push(worker);
      void worker.run();
      await worker.waitUntilReady();
    }
    this.logger.log({ queues: [...queues] }, 'workers started');
  }

  private collectHandlers(): Map<string, JobHandler> {
    const handlers = new Map<string, JobHandler>();
    for (const wrapper of this.discovery.getProviders()) {
      if (!wrapper.instance || !wrapper.metatype || !this.reflector.get(JOB_HANDLER, wrapper.metatype)) continue;
      const handler = wrapper.instance as JobHandler;
      const key = `${handler.job.queue}/${handler.job.name}`;
      if (handlers.has(key)) throw new Error(`Two handlers are registered for job ${key}`);
      handlers.set(key, handler);
    }
    const missing = declaredJobs().filter((job) => !handlers.has(`${job.queue}/${job.name}`));
    if (missing.length > 0) throw new Error(`These jobs have no handler: ${missing.map((j) => `${j.queue}/${j.name}`).join(', ')}`);
    return handlers;
  }

  private async dispatch(handlers: Map<string, JobHandler>, queue: string, job: Job): Promise<unknown> {
    const handler = handlers.get(`${queue}/${job.name}`);
    // A job nobody can run must not be retried forever.
    if (!handler) throw new UnrecoverableError(`No handler for job ${queue}/${job.name}`);
    return handler.handle(job.data, {
      id: job.id as string,
      attempt: job.attemptsMade + 1,
      progress: (value) => job.updateProgress(value),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // close() lets active jobs finish; an interrupted one is retried by
    // another worker once its lock expires.
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers.length = 0;
  }
}
