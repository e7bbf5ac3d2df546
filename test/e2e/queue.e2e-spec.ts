import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';

import { ConfigModule } from 'src/config/config.module.js';
import { defineJob, JobProcessor, type JobContext, type JobHandler } from 'src/platform/queue/job-definition.js';
import { QueueModule } from 'src/platform/queue/queue.module.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { WorkerService } from 'src/platform/queue/worker.service.js';
import { RedisModule } from 'src/platform/redis/redis.module.js';
import { testConfig } from 'test/support/test-config.js';

const EchoJob = defineJob<{ word: string }>('test-queue', 'echo');
const seen: { word: string; attempt: number }[] = [];
let flakyFailures = 0;

@Injectable()
@JobProcessor()
class EchoHandler implements JobHandler<{ word: string }> {
  readonly job = EchoJob;
  async handle(data: { word: string }, context: JobContext): Promise<string> {
    if (data.word === 'flaky' && flakyFailures++ < 2) throw new Error('transient');
    seen.push({ word: data.word, attempt: context.attempt });
    return data.word.toUpperCase();
  }
}

@Module({ providers: [EchoHandler] })
class EchoModule {}

async function boot(extra: unknown[] = [EchoModule]) {
  const prefix = `${process.env.BATON_E2E_REDIS_PREFIX}-queue-${Math.random().toString(36).slice(2)}`;
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(testConfig({ BATON_REDIS_PREFIX: prefix })), RedisModule, QueueModule, ...(extra as never[])],
  }).compile();
  const app = moduleRef.createNestApplication();
  await app.init();
  return app;
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('queue and workers', () => {
  it('runs an enqueued job on its handler, once per deterministic job id', async () => {
    const app = await boot();
    try {
      await app.get(WorkerService).start();
      const queue = app.get(QueueService);
      await queue.enqueue(EchoJob, { word: 'hello' }, { jobId: 'same' });
      await queue.enqueue(EchoJob, { word: 'hello' }, { jobId: 'same' });
      await waitFor(() => seen.some((s) => s.word === 'hello'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.filter((s) => s.word === 'hello')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    const app = await boot();
    try {
      await app.get(WorkerService).start();
      await app.get(QueueService).enqueue(EchoJob, { word: 'flaky' }, { backoffMs: 10 });
      await waitFor(() => seen.some((s) => s.word === 'flaky'));
      expect(seen.find((s) => s.word === 'flaky')?.attempt).toBe(3);
    } finally {
      await app.close();
    }
  });

  it('refuses to start workers while a declared job has no handler', async () => {
    defineJob('test-queue', 'orphan');
    const app = await boot();
    try {
      await expect(app.get(WorkerService).start()).rejects.toThrow('These jobs have no handler: test-queue/orphan');
    } finally {
      await app.close();
    }
  });
});
