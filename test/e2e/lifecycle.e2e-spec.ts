import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { WorkerService } from 'src/platform/queue/worker.service.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, connectStdioClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { createOwnDatabase, type OwnDatabase } from 'test/support/own-database.js';
import { deleteKeysUnder, ownRedisPrefix } from 'test/support/own-redis.js';
import { controlClock, type TestClock } from 'test/support/test-clock.js';
import { callError, callOk, readJson } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

const HOUR = 60 * 60 * 1000;
// Background work (jobs, sweeps) takes seconds here, not milliseconds.
const SLOW = 60_000;

interface Running {
  baton: RunningHttpBaton;
  client: Client;
  clock: TestClock;
  prefix: string;
}

interface EventRow {
  from_status: string | null;
  to_status: string;
  reason: string;
  at: Date;
}

let own: OwnDatabase;
const running: Running[] = [];

beforeAll(async () => {
  own = await createOwnDatabase('lifecycle');
});

afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.client.close();
    await r.baton.close();
    await deleteKeysUnder(r.prefix);
  }
});

afterAll(async () => {
  await own.drop();
});

// Baton over HTTP on the test's own database and Redis prefix, with its
// workers running unless told otherwise.
async function start(settings: Record<string, string> = {}, options: { workers?: boolean } = {}): Promise<Running> {
  const prefix = ownRedisPrefix('lc');
  const baton = await startHttpBaton({ DATABASE_URL: own.url, BATON_REDIS_PREFIX: prefix, BATON_SWEEP_INTERVAL_SECONDS: '3600', ...settings });
  const clock = controlClock(baton.app);
  if (options.workers !== false) await baton.app.get(WorkerService).start();
  const client = await connectHttpClient(baton.url);
  const r = { baton, client, clock, prefix };
  running.push(r);
  return r;
}

async function events(sessionKey: string): Promise<EventRow[]> {
  const result = await own.db.query<EventRow>('SELECT e.from_status, e.to_status, e.reason, e.at FROM session_events e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1 ORDER BY e.id', [sessionKey]);
  return result.rows;
}

async function statusesOf(sessionKeys: string[]): Promise<string[]> {
  const statuses = [];
  for (const key of sessionKeys) statuses.push(await statusOf(key));
  return statuses;
}

async function statusOf(sessionKey: string): Promise<string> {
  const result = await own.db.query<{ status: string }>('SELECT status FROM sessions WHERE session_key = $1', [sessionKey]);
  return result.rows[0]?.status ?? 'missing';
}

function transitions(rows: EventRow[]): string[] {
  return rows.map((e) => `${e.from_status ?? '-'}>${e.to_status}`);
}

describe('session lifecycle', () => {
  it('moves a session through dormant, expired, archived and purged with delayed jobs at each exact time, notifying subscribers', async () => {
    const { client } = await start({ BATON_DORMANT_AFTER_SECONDS: '1', BATON_ARCHIVE_AFTER_SECONDS: '1', BATON_RETENTION_SECONDS: '1' });
    const key = await registerSession(client, { ttlSeconds: 2 });
    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
    });
    await client.subscribeResource({ uri: `handoff://sessions/${key}` });

    await waitFor('the session to be purged', async () => (await statusOf(key)) === 'purged');
    const history = await events(key);
    expect(transitions(history)).toEqual(['->active', 'active>dormant', 'dormant>expired', 'expired>archived', 'archived>purged']);
    const [registered, dormant, expired, archived, purged] = history.map((e) => e.at.getTime()) as [number, number, number, number, number];
    // Each transition happened at or after its due time, never before:
    // idle 1 s, expiresAt 2 s after registration, archived 1 s after
    // expiresAt, purged 1 s after archival.
    expect(dormant - registered).toBeGreaterThanOrEqual(1000);
    expect(expired - registered).toBeGreaterThanOrEqual(2000);
    expect(archived - registered).toBeGreaterThanOrEqual(3000);
    expect(purged - archived).toBeGreaterThanOrEqual(1000);
    await waitFor('a notification per transition', () => updated.filter((u) => u === `handoff://sessions/${key}`).length >= 4);
  }, SLOW);

  it('reactivates a dormant session on append and makes it dormant again after the next idle time', async () => {
    const { client } = await start({ BATON_DORMANT_AFTER_SECONDS: '1' });
    const key = await registerSession(client);
    await waitFor('dormancy', async () => (await statusOf(key)) === 'dormant');
    const appended = await callOk<{ sessionStatus: string }>(client, 'update_context', { sessionKey: key, type: 'note', content: 'back' });
    expect(appended.sessionStatus).toBe('active');
    await waitFor('dormancy again', async () => (await statusOf(key)) === 'dormant');
    expect(transitions(await events(key))).toEqual(['->active', 'active>dormant', 'dormant>active', 'active>dormant']);
  }, SLOW);

  it('never loses an append that races the dormant transition, and never transitions twice', async () => {
    const { client, clock, baton } = await start({}, { workers: false });
    const keys = await Promise.all(Array.from({ length: 12 }, () => registerSession(client)));
    const ids = await own.db.query<{ id: string; session_key: string }>('SELECT id, session_key FROM sessions WHERE session_key = ANY($1)', [keys]);
    clock.advance(HOUR);
    const lifecycle = baton.app.get(LifecycleService);
    await Promise.all(
      ids.rows.flatMap((row) => [
        lifecycle.advance(row.id),
        lifecycle.advance(row.id),
        callOk(client, 'update_context', { sessionKey: row.session_key, type: 'note', content: 'racing the idle timer' }),
      ]),
    );
    for (const key of keys) {
      expect(await statusOf(key)).toBe('active');
      const history = transitions(await events(key));
      // Either the append came first (no transition), or the job did and the append reactivated it.
      expect([['->active'], ['->active', 'active>dormant', 'dormant>active']]).toContainEqual(history);
      const page = await callOk<{ entries: unknown[] }>(client, 'get_context', { sessionKey: key });
      expect(page.entries).toHaveLength(1);
    }
  }, SLOW);

  // Only Redis can be flushed under a running Baton; the e2e-postgres project has none.
  (process.env.BATON_E2E_BACKEND === 'postgres' ? it.skip : it)('recovers from a Redis flush: the sweeper restores its schedule and applies the missed transitions once', async () => {
    const { client, clock, prefix, baton } = await start({ BATON_SWEEP_INTERVAL_SECONDS: '1' });
    const keys = await Promise.all(Array.from({ length: 5 }, () => registerSession(client)));
    await waitFor('the first sweep', async () => (await baton.app.get(QueueService).scheduleInfo('lifecycle', 'lifecycle-sweep')) !== null);
    expect(await deleteKeysUnder(prefix)).toBeGreaterThan(0);
    expect(await baton.app.get(QueueService).scheduleInfo('lifecycle', 'lifecycle-sweep')).toBeNull();
    clock.advance(HOUR);
    await waitFor('every session to turn dormant', async () => (await statusesOf(keys)).every((s) => s === 'dormant'));
    expect(await baton.app.get(QueueService).scheduleInfo('lifecycle', 'lifecycle-sweep')).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const key of keys) expect(transitions(await events(key))).toEqual(['->active', 'active>dormant']);
  }, SLOW);

  it('archives an expired session into compressed chunks that every reader still serves, with a summary', async () => {
    const { client, clock } = await start({ BATON_ARCHIVE_AFTER_SECONDS: '60' });
    const key = await registerSession(client);
    const contents = Array.from({ length: 300 }, (_, i) => `entry ${i + 1}: ${'the login test waits for the token refresh '.repeat(3)}`);
    for (const [i, content] of contents.entries()) {
      await callOk(client, 'update_context', { sessionKey: key, type: i === 5 ? 'code_change' : i % 10 === 0 ? 'decision' : 'note', content, ...(i === 5 ? { metadata: { files: ['src/auth.ts'] } } : {}) });
    }
    await callOk(client, 'update_context', { sessionKey: key, type: 'todo', content: 'still open' });
    clock.advance(25 * HOUR);
    const run = await callOk<{ state: string; result: { transitioned: { expired: number }; archivesQueued: number } }>(client, 'run_lifecycle_sweep', {});
    expect(run.state).toBe('completed');
    clock.advance(2 * 60_000);
    await callOk(client, 'run_lifecycle_sweep', {});
    await waitFor('archival', async () => (await statusOf(key)) === 'archived');

    const stored = await own.db.query<{ live: string; chunks: string; raw: string; kept: string }>(
      `SELECT (SELECT count(*) FROM context_entries e WHERE e.session_id = s.id) AS live, count(a.*) AS chunks, sum(a.raw_bytes) AS raw, sum(octet_length(a.payload)) AS kept
       FROM sessions s JOIN context_entry_archives a ON a.session_id = s.id WHERE s.session_key = $1 GROUP BY s.id`,
      [key],
    );
    expect(stored.rows[0]).toMatchObject({ live: '0', chunks: '2' });
    expect(Number(stored.rows[0]?.kept)).toBeLessThan(Number(stored.rows[0]?.raw) / 3);

    const all: string[] = [];
    let after = 0;
    for (;;) {
      const page = await callOk<{ entries: { sequence: number; content: string }[]; nextAfterSequence: number | null }>(client, 'get_context', { sessionKey: key, afterSequence: after, limit: 120 });
      all.push(...page.entries.map((e) => e.content));
      if (page.nextAfterSequence === null) break;
      after = page.nextAfterSequence;
    }
    expect(all).toEqual([...contents, 'still open']);
    const decisions = await callOk<{ entries: { sequence: number }[] }>(client, 'get_context', { sessionKey: key, types: ['decision'], limit: 1000 });
    expect(decisions.entries.map((e) => e.sequence)).toEqual(Array.from({ length: 30 }, (_, i) => i * 10 + 1));
    const resourcePage = await readJson<{ entries: { sequence: number }[]; nextUri: string }>(client, `handoff://sessions/${key}/context?afterSequence=250&limit=10`);
    expect(resourcePage.entries.map((e) => e.sequence)).toEqual([251, 252, 253, 254, 255, 256, 257, 258, 259, 260]);
    const detail = await readJson<{ session: { status: string }; summary: { entryCount: number; openTodos: { content: string }[]; files: string[] } }>(client, `handoff://sessions/${key}`);
    expect(detail.session.status).toBe('archived');
    expect(detail.summary).toMatchObject({ entryCount: 301, openTodos: [{ sequence: 301, content: 'still open' }], files: ['src/auth.ts'] });
    const rest = await fetch(new URL(`/api/sessions/${key}/context?afterSequence=299`, running[0]?.baton.url)).then((r) => r.json() as Promise<{ entries: { sequence: number }[] }>);
    expect(rest.entries.map((e) => e.sequence)).toEqual([300, 301]);
    // A handoff of an archived session is built from its chunks.
    const handoff = await callOk<{ readOnly: boolean; package: { openTodos: { quoted: string }[]; decisions: unknown[]; state: { counts: { entries: number } } } }>(client, 'request_handoff', {
      sessionKey: key,
      targetAgent: 'codex@ci',
      type: 'context_transfer',
      tokenBudget: 4000,
    });
    expect(handoff.readOnly).toBe(true);
    expect(handoff.package.state.counts.entries).toBe(301);
    expect(handoff.package.openTodos.map((t) => t.quoted)).toEqual([expect.stringContaining('still open')]);
    expect(handoff.package.decisions.length).toBe(30);

    const write = await callError(client, 'update_context', { sessionKey: key, type: 'note', content: 'too late' });
    expect(write.code).toBe('SESSION_READ_ONLY');
  }, SLOW);
});

describe('expiry', () => {
  it('pushes expiresAt on every append up to the maximum lifetime, and refuses writes once it has passed', async () => {
    const { client, clock } = await start({ BATON_SESSION_MAX_LIFETIME_SECONDS: '5400' }, { workers: false });
    const key = await registerSession(client, { ttlSeconds: 3600 });
    const created = Date.parse((await readJson<{ session: { createdAt: string } }>(client, `handoff://sessions/${key}`)).session.createdAt);
    const expiresAt = async () => Date.parse((await readJson<{ session: { expiresAt: string } }>(client, `handoff://sessions/${key}`)).session.expiresAt);
    expect(await expiresAt()).toBe(created + HOUR);

    const appendedAt = async (sequence: number) => {
      const page = await callOk<{ entries: { createdAt: string }[] }>(client, 'get_context', { sessionKey: key, afterSequence: sequence - 1, limit: 1 });
      return Date.parse(page.entries[0]?.createdAt ?? '');
    };

    clock.advance(20 * 60_000);
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'twenty minutes in' });
    expect(await expiresAt()).toBe((await appendedAt(1)) + HOUR);
    clock.advance(40 * 60_000);
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'an hour in' });
    expect(await expiresAt()).toBe(created + 90 * 60_000);

    clock.advance(31 * 60_000);
    const refused = await callError(client, 'update_context', { sessionKey: key, type: 'note', content: 'past the maximum lifetime' });
    expect(refused.code).toBe('SESSION_READ_ONLY');
    expect(refused.message).toContain('expired');
    expect(await statusOf(key)).toBe('active');
    const page = await callOk<{ entries: unknown[] }>(client, 'get_context', { sessionKey: key });
    expect(page.entries).toHaveLength(2);
  }, SLOW);
});

describe('retention', () => {
  it('purges archived sessions after the retention period, except under legal hold or a keep-forever tag policy', async () => {
    const { client, clock } = await start({
      BATON_ARCHIVE_AFTER_SECONDS: '60',
      BATON_RETENTION_SECONDS: '3600',
      BATON_LIFECYCLE_POLICIES: JSON.stringify([{ tag: 'keep', retentionSeconds: 'forever' }]),
    });
    const plain = await registerSession(client);
    const held = await registerSession(client);
    const kept = await registerSession(client, { tags: ['keep', 'team:auth'] });
    for (const key of [plain, held, kept]) await callOk(client, 'update_context', { sessionKey: key, type: 'decision', content: `decided in ${key}` });
    const listed = await callOk<{ sessions: { sessionKey: string; tags: string[] }[] }>(client, 'list_sessions', {});
    expect(listed.sessions.find((s) => s.sessionKey === kept)?.tags).toEqual(['keep', 'team:auth']);

    clock.advance(25 * HOUR);
    await callOk(client, 'run_lifecycle_sweep', {});
    clock.advance(2 * 60_000);
    await callOk(client, 'run_lifecycle_sweep', {});
    await waitFor('archival', async () => (await statusesOf([plain, held, kept])).every((s) => s === 'archived'));
    const hold = await callOk<{ legalHold: boolean; status: string }>(client, 'set_legal_hold', { sessionKey: held, hold: true, reason: 'litigation hold, case 114' });
    expect(hold).toMatchObject({ legalHold: true, status: 'archived' });

    // A codebase analysis goes with its session's purge (the held one keeps its own).
    await own.db.query(`INSERT INTO codebase_analyses (id, session_id, root, analysis_type, status) SELECT gen_random_uuid(), id, '/src', 'structure', 'completed' FROM sessions WHERE session_key = ANY($1)`, [[plain, held]]);
    clock.advance(2 * HOUR);
    const swept = await callOk<{ state: string }>(client, 'run_lifecycle_sweep', {});
    expect(swept.state).toBe('completed');
    const analyses = await own.db.query<{ session_key: string }>('SELECT s.session_key FROM codebase_analyses a JOIN sessions s ON s.id = a.session_id WHERE s.session_key = ANY($1)', [[plain, held]]);
    expect(analyses.rows.map((r) => r.session_key)).toEqual([held]);
    expect(await statusesOf([plain, held, kept])).toEqual(['purged', 'archived', 'archived']);
    const gone = await callError(client, 'get_context', { sessionKey: plain });
    expect(gone.code).toBe('SESSION_PURGED');
    await expect(client.readResource({ uri: `handoff://sessions/${plain}/context` })).rejects.toMatchObject({ code: -32002 });
    const tombstone = await readJson<{ session: { status: string; title: string | null }; summary: unknown; lifecycle: { to: string; reason: string }[] }>(client, `handoff://sessions/${plain}`);
    expect(tombstone.session).toMatchObject({ status: 'purged', title: null });
    expect(tombstone.summary).toBeNull();
    expect(tombstone.lifecycle.at(-1)).toMatchObject({ to: 'purged', reason: 'purged: retention period over' });
    const stored = await own.db.query('SELECT 1 FROM context_entry_archives a JOIN sessions s ON s.id = a.session_id WHERE s.session_key = $1', [plain]);
    expect(stored.rowCount).toBe(0);
    expect((await callError(client, 'set_legal_hold', { sessionKey: plain, hold: true, reason: 'too late' })).code).toBe('SESSION_PURGED');

    await callOk(client, 'set_legal_hold', { sessionKey: held, hold: false, reason: 'case closed' });
    await callOk(client, 'run_lifecycle_sweep', {});
    expect(await statusOf(held)).toBe('purged');
    expect(transitions(await events(held)).slice(-3)).toEqual(['archived>archived', 'archived>archived', 'archived>purged']);
    expect((await events(held)).map((e) => e.reason)).toEqual(expect.arrayContaining(['legal hold placed: litigation hold, case 114', 'legal hold lifted: case closed']));
    expect(await statusOf(kept)).toBe('archived');
  }, SLOW);
});

describe('failures', () => {
  it('retries a failing job with backoff, then keeps it in a visible failed set until an operator retries it', async () => {
    const { client, clock } = await start({ BATON_ARCHIVE_AFTER_SECONDS: '60', BATON_JOB_ATTEMPTS: '3', BATON_JOB_BACKOFF_MS: '20' });
    const key = await registerSession(client);
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'fine' });
    // A damaged archive chunk (say, a bad restore) makes archiving fail.
    await own.db.query(
      `INSERT INTO context_entry_archives (session_id, first_sequence, last_sequence, entry_count, types, raw_bytes, payload, archived_at)
       SELECT id, 900, 900, 1, '{note}', 10, '\\xdeadbeef', now() FROM sessions WHERE session_key = $1`,
      [key],
    );
    clock.advance(25 * HOUR);
    await callOk(client, 'run_lifecycle_sweep', {});
    clock.advance(2 * 60_000);
    await callOk(client, 'run_lifecycle_sweep', {});
    const failed = await waitFor('the job to land in the failed set', async () => {
      const status = await callOk<{ failedJobs: { jobId: string; sessionId: string | null; attempts: number; reason: string }[]; queue: { failed: number } }>(client, 'get_lifecycle_status', {});
      return status.failedJobs.find((job) => job.attempts === 3) ? status : undefined;
    });
    const job = failed.failedJobs[0] as { jobId: string; sessionId: string; reason: string };
    expect(failed.queue.failed).toBe(1);
    expect(job.sessionId).toBe((await own.db.query<{ id: string }>('SELECT id FROM sessions WHERE session_key = $1', [key])).rows[0]?.id);
    expect(await statusOf(key)).toBe('expired');

    await own.db.query('DELETE FROM context_entry_archives WHERE first_sequence = 900');
    expect((await callError(client, 'retry_failed_jobs', { jobId: 'no-such-job' })).code).toBe('INVALID_ARGUMENT');
    expect(await callOk(client, 'retry_failed_jobs', { jobId: job.jobId })).toEqual({ retried: 1 });
    await waitFor('archival after the retry', async () => (await statusOf(key)) === 'archived');
    const page = await callOk<{ entries: { content: string }[] }>(client, 'get_context', { sessionKey: key });
    expect(page.entries.map((e) => e.content)).toEqual(['fine']);
  }, SLOW);

  it('reports a sweep no worker picked up as queued', async () => {
    const { client } = await start({}, { workers: false });
    const run = await callOk<{ state: string; jobId: string }>(client, 'run_lifecycle_sweep', { waitSeconds: 0 });
    expect(run.state).toBe('queued');
    const status = await callOk<{ queue: { waiting: number; workers: number } }>(client, 'get_lifecycle_status', {});
    expect(status.queue).toMatchObject({ waiting: 1, workers: 0 });
  }, SLOW);
});

describe('lifecycle status', () => {
  it.each([
    ['Streamable HTTP', async (r: Running) => r.client],
    ['stdio', async (r: Running) => connectStdioClient({ DATABASE_URL: own.url, BATON_REDIS_PREFIX: r.prefix })],
  ])('shows queue counts, the sweep and failures over %s', async (_name, connect) => {
    const r = await start();
    const client = await connect(r);
    try {
      await callOk(r.client, 'run_lifecycle_sweep', {});
      const status = await callOk<{ queue: { workers: number }; lastSweep: { trigger: string } | null; lastCleanup: unknown; sweepSchedule: { everyMs: number } | null }>(client, 'get_lifecycle_status', {});
      expect(status.queue.workers).toBeGreaterThanOrEqual(1);
      expect(status.lastSweep?.trigger).toBe('operator');
      expect(status.lastCleanup).not.toBeNull();
      expect(status.sweepSchedule?.everyMs).toBe(3_600_000);
      const resource = await readJson<{ lastSweep: unknown }>(client, 'handoff://lifecycle');
      expect(resource.lastSweep).toEqual(status.lastSweep);
    } finally {
      if (client !== r.client) await client.close();
    }
  }, SLOW);
});
