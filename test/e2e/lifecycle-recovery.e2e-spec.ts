import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';

import pg from 'pg';

import { QueueService } from 'src/platform/queue/queue.service.js';
import { WorkerService } from 'src/platform/queue/worker.service.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton } from 'test/support/baton-app.js';
import { createOwnDatabase, type OwnDatabase } from 'test/support/own-database.js';
import { deleteKeysUnder, ownRedisPrefix } from 'test/support/own-redis.js';
import { childEnv, testSettings } from 'test/support/test-config.js';
import { callOk } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

const SLOW = 60_000;

// The built `baton worker`, as operators run it.
function spawnWorker(settings: Record<string, string>): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [resolve('dist/main.js'), 'worker'], { env: childEnv(testSettings(settings)), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) => child.on('exit', (code, signal) => done({ code, signal, stderr })));
  return { child, exited };
}

// A database and a Redis prefix of the describe block's own, removed after it.
function ownEnvironment(label: string): { readonly own: OwnDatabase; readonly prefix: string } {
  const env = { own: undefined as unknown as OwnDatabase, prefix: ownRedisPrefix(label) };
  beforeAll(async () => {
    env.own = await createOwnDatabase(label);
  });
  afterAll(async () => {
    await deleteKeysUnder(env.prefix);
    await env.own.drop();
  });
  return env;
}

describe('a worker killed mid-job', () => {
  const env = ownEnvironment('killed');

  it('leaves no trace, and a second worker finishes the job exactly once', async () => {
    const settings = { DATABASE_URL: env.own.url, BATON_REDIS_PREFIX: env.prefix, BATON_ARCHIVE_AFTER_SECONDS: '1', BATON_JOB_LOCK_MS: '1000', BATON_JOB_STALLED_CHECK_MS: '500', BATON_SWEEP_INTERVAL_SECONDS: '3600' };
    const writer = await startHttpBaton(settings);
    const client = await connectHttpClient(writer.url);
    const key = await registerSession(client);
    for (let i = 1; i <= 40; i++) await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: `entry ${i}` });
    await client.close();
    await writer.close();
    await env.own.db.query(`UPDATE sessions SET status = 'expired', expires_at = now() - interval '1 day' WHERE session_key = $1`, [key]);

    // Hold the session's entry rows, so the archive job stops half-way: its
    // chunks written, the entries not yet deleted.
    const blocker = new pg.Client({ connectionString: env.own.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM context_entries e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1 FOR UPDATE OF e', [key]);

    const first = spawnWorker(settings);
    try {
      await waitFor(
        'the archive job to block mid-way',
        async () => {
          const waiting = await env.own.db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'DELETE FROM %context_entries%'`);
          return (waiting.rowCount ?? 0) > 0;
        },
        30_000,
      );
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    const half = await env.own.db.query<{ status: string; chunks: string; live: string }>(
      `SELECT s.status, (SELECT count(*) FROM context_entry_archives a WHERE a.session_id = s.id) AS chunks, (SELECT count(*) FROM context_entries e WHERE e.session_id = s.id) AS live FROM sessions s WHERE s.session_key = $1`,
      [key],
    );
    expect(half.rows[0]).toEqual({ status: 'expired', chunks: '0', live: '40' });

    const second = await startHttpBaton(settings);
    try {
      // The killed worker's job is still marked active, its lock run out.
      const queues = second.app.get(QueueService);
      const [stale] = await waitFor('the dead worker\'s lock to run out', async () => ((await queues.staleActiveJobs('lifecycle')).length === 1 ? queues.staleActiveJobs('lifecycle') : undefined));
      const sessionId = (await env.own.db.query<{ id: string }>('SELECT id FROM sessions WHERE session_key = $1', [key])).rows[0]?.id;
      expect(stale).toMatch(new RegExp(`^advance-${sessionId}-\\d+$`));

      await second.app.get(WorkerService).start();
      await waitFor('the second worker to archive the session', async () => (await env.own.db.query(`SELECT 1 FROM sessions WHERE session_key = $1 AND status = 'archived'`, [key])).rowCount === 1, 30_000);
      const history = await env.own.db.query<{ from_status: string; to_status: string }>('SELECT e.from_status, e.to_status FROM session_events e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1 ORDER BY e.id', [key]);
      expect(history.rows.filter((e) => e.to_status === 'archived')).toEqual([{ from_status: 'expired', to_status: 'archived' }]);
      const stored = await env.own.db.query<{ entries: string; live: string }>(
        `SELECT sum(a.entry_count) AS entries, (SELECT count(*) FROM context_entries e WHERE e.session_id = s.id) AS live FROM sessions s JOIN context_entry_archives a ON a.session_id = s.id WHERE s.session_key = $1 GROUP BY s.id`,
        [key],
      );
      expect(stored.rows[0]).toEqual({ entries: '40', live: '0' });
      // The stalled job itself was run again and succeeded (then forgotten).
      // The session turns archived when the job's transaction commits, a
      // moment before the queue records the job complete and removes it.
      const settled = await waitFor('the re-run job to settle', async () => {
        const job = await queues.status('lifecycle', stale as string);
        return ['unknown', 'completed', 'failed'].includes(job.state) ? job : undefined;
      });
      expect(settled).toEqual({ state: 'unknown' });
      expect((await queues.counts('lifecycle')).failed).toBe(0);
      const reader = await connectHttpClient(second.url);
      const page = await callOk<{ entries: { content: string }[] }>(reader, 'get_context', { sessionKey: key });
      expect(page.entries.map((e) => e.content)).toEqual(Array.from({ length: 40 }, (_, i) => `entry ${i + 1}`));
      await reader.close();
    } finally {
      await second.close();
    }
  }, SLOW);
});

describe('the start-up check of a worker', () => {
  const env = ownEnvironment('cleanup');

  it('quarantines orphans, repairs impossible states and reports what it did', async () => {
    const baton = await startHttpBaton({ DATABASE_URL: env.own.url, BATON_REDIS_PREFIX: env.prefix });
    const client = await connectHttpClient(baton.url);
    try {
      const behind = await registerSession(client);
      const archivedByHand = await registerSession(client);
      const strayArchivedAt = await registerSession(client);
      const purgedByHand = await registerSession(client);
      for (const key of [behind, archivedByHand, purgedByHand]) {
        for (let i = 1; i <= 3; i++) await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: `${key} ${i}` });
      }
      await env.own.db.query('UPDATE sessions SET last_sequence = 1 WHERE session_key = $1', [behind]);
      await env.own.db.query(`UPDATE sessions SET status = 'archived', archived_at = NULL WHERE session_key = $1`, [archivedByHand]);
      await env.own.db.query('UPDATE sessions SET archived_at = now() WHERE session_key = $1', [strayArchivedAt]);
      await env.own.db.query(`UPDATE sessions SET status = 'purged' WHERE session_key = $1`, [purgedByHand]);
      // Orphans, the way a restore with foreign keys switched off leaves them.
      const ghost = randomUUID();
      await env.own.db.query('BEGIN');
      await env.own.db.query(`SET LOCAL session_replication_role = replica`);
      await env.own.db.query(`INSERT INTO context_entries (id, session_id, sequence, type, content, token_count, content_hash) VALUES (gen_random_uuid(), $1, 1, 'note', 'lost', 1, repeat('0', 64))`, [ghost]);
      await env.own.db.query(`INSERT INTO session_events (session_id, to_status, reason) VALUES ($1, 'active', 'registered')`, [ghost]);
      await env.own.db.query('COMMIT');

      await baton.app.get(WorkerService).start();
      const status = await callOk<{ lastCleanup: Record<string, unknown> }>(client, 'get_lifecycle_status', {});
      expect(status.lastCleanup).toMatchObject({
        quarantined: { contextEntries: 1, archivedChunks: 0, sessionEvents: 1 },
        // archivedAt is filled for both the hand-archived and the hand-purged session.
        repaired: { lastSequenceRaised: 1, archivedAtFilled: 2, archivedAtCleared: 1, liveEntriesArchived: 1, purgedLeftoversDeleted: 3 },
        reported: { archivedChunksOnUnarchivedSessions: [], archiveRepairsFailed: [] },
        staleJobLocks: 0,
      });
      const quarantined = await env.own.db.query<{ source_table: string; reason: string; row: { content?: string } }>('SELECT source_table, reason, row FROM quarantined_rows ORDER BY id');
      expect(quarantined.rows.map((r) => r.source_table).sort()).toEqual(['context_entries', 'session_events']);
      expect(quarantined.rows.find((r) => r.source_table === 'context_entries')).toMatchObject({ reason: expect.stringContaining(ghost), row: { content: 'lost' } });

      const next = await callOk<{ sequence: number }>(client, 'update_context', { sessionKey: behind, type: 'note', content: 'appends work again' });
      expect(next.sequence).toBe(4);
      const archived = await callOk<{ entries: { content: string }[] }>(client, 'get_context', { sessionKey: archivedByHand });
      expect(archived.entries.map((e) => e.content)).toEqual([1, 2, 3].map((i) => `${archivedByHand} ${i}`));
      const repaired = await env.own.db.query<{ session_key: string; archived_at: Date | null; live: string }>(
        `SELECT session_key, archived_at, (SELECT count(*) FROM context_entries e WHERE e.session_id = s.id) AS live FROM sessions s WHERE session_key = ANY($1) ORDER BY session_key`,
        [[archivedByHand, strayArchivedAt, purgedByHand]],
      );
      const byKey = new Map(repaired.rows.map((r) => [r.session_key, r]));
      expect(byKey.get(archivedByHand)).toMatchObject({ archived_at: expect.any(Date), live: '0' });
      expect(byKey.get(strayArchivedAt)).toMatchObject({ archived_at: null });
      expect(byKey.get(purgedByHand)).toMatchObject({ live: '0' });
    } finally {
      await client.close();
      await baton.close();
    }
  }, SLOW);
});

describe('a bad lifecycle policy', () => {
  it('stops `baton worker` at boot with a message naming the rule and the fix', async () => {
    const worker = spawnWorker({ BATON_LIFECYCLE_POLICIES: JSON.stringify([{ tag: 'compliance', retentionSeconds: 'never' }]) });
    const { code, stderr } = await worker.exited;
    expect(code).toBe(2);
    expect(stderr).toContain('BATON_LIFECYCLE_POLICIES');
    expect(stderr).toContain('[0].retentionSeconds: must be a positive number of seconds or "forever"');
  }, SLOW);
});
