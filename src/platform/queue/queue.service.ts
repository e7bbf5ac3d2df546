import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';

import { RedisService } from 'src/platform/redis/redis.service.js';
import type { JobDefinition } from 'src/platform/queue/job-definition.js';

export interface EnqueueOptions {
  // Deterministic ids make enqueueing idempotent: a job with the same id is
  // not added twice while it exists.
  jobId?: string;
  delayMs?: number;
  attempts?: number;
  backoffMs?: number;
  priority?: number;
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

// Producer side of BullMQ: one Queue per queue name, sharing one connection.
@Injectable()
export class QueueService implements OnModuleDestroy {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly redis: RedisService) {}

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis.client, prefix: this.redis.key('bull') });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async enqueue<Data>(job: JobDefinition<Data>, data: Data, options: EnqueueOptions = {}): Promise<string> {
    const jobOptions: JobsOptions = {
      jobId: options.jobId,
      delay: options.delayMs !== undefined ? Math.max(0, options.delayMs) : undefined,
      attempts: options.attempts ?? 5,
      backoff: { type: 'exponential', delay: options.backoffMs ?? 1_000 },
      priority: options.priority,
      removeOnComplete: { age: 24 * 60 * 60, count: 1_000 },
      removeOnFail: { age: 7 * 24 * 60 * 60 },
    };
    const added = await this.queue(job.queue).add(job.name, data, jobOptions);
    return added.id as string;
  }

  async remove(queueName: string, jobId: string): Promise<void> {
    await this.queue(queueName).remove(jobId);
  }

  async counts(queueName: string): Promise<QueueCounts> {
    const counts = await this.queue(queueName).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
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

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
