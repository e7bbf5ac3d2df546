import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';

import { AppModule } from 'src/app.module.js';
import { defineJob, JobProcessor, type JobHandler } from 'src/platform/queue/job-definition.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { WorkerService } from 'src/platform/queue/worker.service.js';
import { ContextService } from 'src/features/context/context.service.js';
import { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import { createOwnDatabase, type OwnDatabase } from 'test/support/own-database.js';
import { deleteKeysUnder, ownRedisPrefix } from 'test/support/own-redis.js';
import { testConfig } from 'test/support/test-config.js';

// Session lifecycle benchmark: transitions per second of a sweep over
// SESSIONS sessions, and job pick-up latency (enqueue -> handler start).
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000);
const PICKUPS = Number(process.env.BENCH_PICKUPS ?? 2_000);
const ARCHIVED_SESSIONS = Number(process.env.BENCH_ARCHIVED_SESSIONS ?? 500);
const ENTRIES_PER_SESSION = 200;
// Jobs run before measuring, so JIT compilation and connection warm-up are
// not counted as pick-up latency.
const WARMUP = 200;

const PingJob = defineJob<{ n: number }>('bench', 'ping');
const started = new Map<number, number>();
let arrived: ((n: number) => void) | undefined;

@Injectable()
@JobProcessor()
class PingHandler implements JobHandler<{ n: number }> {
  readonly job = PingJob;
  async handle(data: { n: number }): Promise<void> {
    started.set(data.n, performance.now());
    arrived?.(data.n);
  }
}

@Module({ providers: [PingHandler] })
class BenchModule {}

let own: OwnDatabase;
let app: INestApplication;
let prefix: string;
const rows: string[][] = [];

beforeAll(async () => {
  own = await createOwnDatabase('bench');
  prefix = ownRedisPrefix('bench');
  const config = testConfig({ DATABASE_URL: own.url, BATON_REDIS_PREFIX: prefix, BATON_SWEEP_INTERVAL_SECONDS: '3600', BATON_SWEEP_BATCH_SIZE: process.env.BENCH_BATCH ?? '1000', BATON_LOG_LEVEL: 'warn' });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config), BenchModule] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  await app.get(WorkerService).start();
});

afterAll(async () => {
  await app.close();
  await deleteKeysUnder(prefix);
  await own.drop();
  process.stdout.write(`\n| measure | result |\n| --- | --- |\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n\n`);
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

it('picks up an enqueued job within milliseconds', async () => {
  const queue = app.get(QueueService);
  const latencies: number[] = [];
  for (let n = -WARMUP; n < PICKUPS; n++) {
    const arrival = new Promise<number>((resolve) => {
      arrived = resolve;
    });
    const sent = performance.now();
    await queue.enqueue(PingJob, { n }, { forgetOnSuccess: true });
    await arrival;
    if (n >= 0) latencies.push((started.get(n) as number) - sent);
  }
  latencies.sort((a, b) => a - b);
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  rows.push([`job pick-up latency, enqueue -> handler start (${PICKUPS} jobs one at a time, after ${WARMUP} warm-up jobs)`, `p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}, max ${fmt(latencies.at(-1) as number)}`]);
  expect(latencies).toHaveLength(PICKUPS);
});

it(`sweeps ${SESSIONS} sessions: all dormant, then all expired`, async () => {
  const seeded = performance.now();
  await own.db.query(
    `INSERT INTO sessions (id, namespace, session_key, agent_id, status, last_activity_at, expires_at, created_at)
     SELECT gen_random_uuid(), 'default', 'bench-' || n, 'bench-agent', 'active', now() - interval '2 hours', now() + interval '1 day', now() - interval '2 hours'
     FROM generate_series(1, $1::int) AS n`,
    [SESSIONS],
  );
  await own.db.query('ANALYZE sessions');
  rows.push([`seed ${SESSIONS} sessions (one INSERT ... SELECT)`, `${Math.round(performance.now() - seeded)} ms`]);
  const lifecycle = app.get(LifecycleService);

  const dormant = await lifecycle.sweep('bench');
  expect(dormant.result.transitioned.dormant).toBe(SESSIONS);
  rows.push([`sweep: ${SESSIONS} active -> dormant`, rate(SESSIONS, dormant.result.durationMs)]);

  await own.db.query(`UPDATE sessions SET expires_at = now() - interval '1 minute'`);
  const expired = await lifecycle.sweep('bench');
  expect(expired.result.transitioned.expired).toBe(SESSIONS);
  rows.push([`sweep: ${SESSIONS} dormant -> expired`, rate(SESSIONS, expired.result.durationMs)]);

  const events = await own.db.query<{ count: string }>(`SELECT count(*) FROM session_events`);
  expect(Number(events.rows[0]?.count)).toBe(2 * SESSIONS);
});

it(`archives ${ARCHIVED_SESSIONS} sessions of ${ENTRIES_PER_SESSION} entries into compressed chunks`, async () => {
  await own.db.query(
    `INSERT INTO sessions (id, namespace, session_key, agent_id, status, last_sequence, last_activity_at, expires_at, created_at)
     SELECT gen_random_uuid(), 'archive', 'archive-' || n, 'bench-agent', 'expired', $2::int, now() - interval '30 days', now() - interval '29 days', now() - interval '30 days'
     FROM generate_series(1, $1::int) AS n`,
    [ARCHIVED_SESSIONS, ENTRIES_PER_SESSION],
  );
  // Ledger-like text: sentences drawn from a small vocabulary, 20-60 words.
  await own.db.query(
    `INSERT INTO context_entries (id, session_id, sequence, type, content, metadata, token_count, content_hash, created_at)
     SELECT gen_random_uuid(), s.id, q, (ARRAY['note','decision','todo','code_change','error']::entry_type[])[1 + q % 5], t.content,
            CASE WHEN q % 4 = 0 THEN '{"files": ["src/auth/session.ts"]}'::jsonb ELSE '{}'::jsonb END, 40, encode(sha256(convert_to(t.content, 'UTF8')), 'hex'), s.created_at
     FROM sessions s CROSS JOIN generate_series(1, $1::int) AS q
     CROSS JOIN LATERAL (
       SELECT string_agg((ARRAY['the','login','test','fails','when','token','refresh','races','session','decided','to','retry','with','backoff','because','migration','index','query','slow','fixed'])[1 + floor(random() * 20)::int], ' ') AS content
       FROM generate_series(1, 20 + (q * 7 + length(s.session_key)) % 41) WHERE s.id IS NOT NULL
     ) t
     WHERE s.namespace = 'archive'`,
    [ENTRIES_PER_SESSION],
  );
  await own.db.query('ANALYZE context_entries');
  const live = await own.db.query<{ bytes: string }>(`SELECT pg_total_relation_size('context_entries') AS bytes`);
  const ids = (await own.db.query<{ id: string }>(`SELECT id FROM sessions WHERE namespace = 'archive'`)).rows.map((r) => r.id);
  const context = app.get(ContextService);
  const started = performance.now();
  for (const id of ids) await context.archiveSession(id, new Date(), (session) => session.status === 'expired');
  const ms = Math.round(performance.now() - started);
  const stored = await own.db.query<{ raw: string; payload: string; entries: string; table: string }>(
    `SELECT sum(raw_bytes) AS raw, sum(octet_length(payload)) AS payload, sum(entry_count) AS entries, pg_total_relation_size('context_entry_archives') AS table FROM context_entry_archives`,
  );
  const row = stored.rows[0] as { raw: string; payload: string; entries: string; table: string };
  expect(Number(row.entries)).toBe(ARCHIVED_SESSIONS * ENTRIES_PER_SESSION);
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  rows.push([`archive ${ARCHIVED_SESSIONS} sessions x ${ENTRIES_PER_SESSION} entries, one at a time`, `${ms} ms, ${Math.round((ARCHIVED_SESSIONS / ms) * 1000)} sessions/s, ${Math.round((Number(row.entries) / ms) * 1000).toLocaleString('en-US')} entries/s`]);
  rows.push([
    'archive size',
    `serialised ${mb(Number(row.raw))} -> brotli ${mb(Number(row.payload))} (${(Number(row.raw) / Number(row.payload)).toFixed(1)}x); live table with indexes ${mb(Number(live.rows[0]?.bytes))} -> archive table ${mb(Number(row.table))}`,
  ]);
});

function rate(count: number, ms: number): string {
  return `${ms} ms, ${Math.round((count / ms) * 1000).toLocaleString('en-US')} transitions/s`;
}
