import { Inject, Injectable } from '@nestjs/common';
import type * as BullMQ from 'bullmq';
import type { PostgresPoolConfig, Queue, QueueOptions, Processor, Worker, WorkerOptions } from 'bullmq';
import pg from 'pg';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { poolConfig } from 'src/platform/database/pool-config.js';
import { postgresIdentifier } from 'src/platform/database/postgres-identifier.js';
import { RedisService } from 'src/platform/redis/redis.service.js';

export type WorkerSettings = Omit<WorkerOptions, 'connection' | 'prefix'>;

// BullMQ's own connections per queue or worker when jobs live in PostgreSQL:
// a small pool plus one LISTEN connection that wakes idle workers.
const POSTGRES_POOL_SIZE = 3;

// Builds BullMQ queues and workers on the configured backend: Redis, or
// PostgreSQL (BullMQ's PostgreSQL backend, same Queue/Worker API) for Baton
// without Redis. Everything above this class is one code path.
@Injectable()
export class QueueBackendService {
  private loaded?: Promise<typeof BullMQ>;

  constructor(
    private readonly redis: RedisService,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  get kind(): 'redis' | 'postgres' {
    return this.config.queue.backend === 'redis' ? 'redis' : 'postgres';
  }

  // Redis: settles once the shared connection is up (UnavailableError when it
  // is not soon). PostgreSQL reports an outage on the call itself.
  async connected(): Promise<void> {
    if (this.kind === 'redis') await this.redis.connected();
  }

  // BullMQ is loaded by the first queue or worker: a process that answers
  // MCP requests before any job is due starts without it.
  bullmq(): Promise<typeof BullMQ> {
    return (this.loaded ??= import('bullmq'));
  }

  async createQueue(name: string, options: Pick<QueueOptions, 'telemetry'> = {}): Promise<Queue> {
    const { Queue, createPostgresBackend } = await this.bullmq();
    if (this.kind === 'redis') return new Queue(name, { ...options, connection: this.redis.client, prefix: this.redis.key('bull') });
    return new Queue(name, { ...options, connection: this.postgresConnection('queue') }, createPostgresBackend) as unknown as Queue;
  }

  async createWorker(name: string, processor: Processor, settings: WorkerSettings): Promise<Worker> {
    const { Worker, createPostgresBackend } = await this.bullmq();
    if (this.kind === 'redis') return new Worker(name, processor, { ...settings, connection: this.redis.connect(`worker-${name}`), prefix: this.redis.key('bull') });
    return new Worker(name, processor, { ...settings, connection: this.postgresConnection(`worker-${name}`) }, createPostgresBackend) as unknown as Worker;
  }

  // Active jobs whose lock has run out: their worker died mid-job. The
  // stalled check of any running worker returns them to waiting.
  async staleActiveJobs(queue: Queue): Promise<string[]> {
    const active = await queue.getActive();
    if (active.length === 0) return [];
    if (this.kind === 'redis') {
      const stale: string[] = [];
      for (const job of active) {
        if (job.id !== undefined && (await this.redis.client.exists(`${queue.toKey(job.id)}:lock`)) === 0) stale.push(job.id);
      }
      return stale;
    }
    const client = new pg.Client({ connectionString: this.databaseUrl(), application_name: 'baton-queue' });
    await client.connect();
    try {
      const rows = await client.query<{ id: string }>(`SELECT id FROM ${pg.escapeIdentifier(this.schema)}.job WHERE queue = $1 AND state = 'active' AND (locked_until_ms IS NULL OR locked_until_ms < $2) AND id = ANY($3::text[])`, [queue.name, Date.now(), active.map((job) => job.id)]);
      return rows.rows.map((row) => row.id);
    } finally {
      await client.end();
    }
  }

  private postgresConnection(role: string): PostgresPoolConfig {
    // migrate: the first process creates BullMQ's schema, under BullMQ's advisory lock.
    return poolConfig(this.databaseUrl(), { schema: this.schema, max: POSTGRES_POOL_SIZE, application_name: `baton-${role}`, migrate: true });
  }

  // BullMQ's tables live in a schema named after the key prefix, as its Redis
  // keys do: deployments (and tests) sharing one database stay apart.
  private get schema(): string {
    return postgresIdentifier(`${this.config.redis.keyPrefix}_bullmq`);
  }

  private databaseUrl(): string {
    if (this.config.database.url === undefined) throw new Error('No database URL for the PostgreSQL job backend');
    return this.config.database.url;
  }
}

