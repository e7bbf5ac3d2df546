import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import pg from 'pg';

import { registerSession, sessionKey } from 'test/factories/session.factory.js';
import { connectHttpClient, connectStdioClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { callError, callOk } from 'test/support/tool-calls.js';

interface Appended {
  sessionKey: string;
  sequence: number;
  entryId: string;
  tokenCount: number;
  sessionStatus: string;
  duplicate: boolean;
}

let baton: RunningHttpBaton;
let db: pg.Client;

beforeAll(async () => {
  baton = await startHttpBaton();
  db = new pg.Client({ connectionString: process.env.BATON_E2E_DATABASE_URL });
  await db.connect();
});

afterAll(async () => {
  await db.end();
  await baton.close();
});

const transports: [string, () => Promise<Client>][] = [
  ['Streamable HTTP', () => connectHttpClient(baton.url)],
  ['stdio', () => connectStdioClient()],
];

describe.each(transports)('tools over %s', (_name, connect) => {
  let client: Client;

  beforeAll(async () => {
    client = await connect();
  });

  afterAll(async () => {
    await client.close();
  });

  it('registers a session and refuses the same key twice with SESSION_EXISTS', async () => {
    const key = sessionKey();
    const created = await callOk<{ sessionKey: string; status: string; createdAt: string; expiresAt: string }>(client, 'register_session', { sessionKey: key, agentId: 'claude-code', ttlSeconds: 3600 });
    expect(created.sessionKey).toBe(key);
    expect(created.status).toBe('active');
    expect(Date.parse(created.expiresAt) - Date.parse(created.createdAt)).toBe(3_600_000);

    const again = await callError(client, 'register_session', { sessionKey: key, agentId: 'cursor' });
    expect(again.code).toBe('SESSION_EXISTS');
    expect(again.message).toContain(key);
  });

  it('generates a key when none is given', async () => {
    const created = await callOk<{ sessionKey: string }>(client, 'register_session', { agentId: 'codex' });
    expect(created.sessionKey).toMatch(/^s-[A-Za-z0-9_-]{16}$/);
  });

  it('gives 50 parallel appends to one session the sequences 1..50 exactly', async () => {
    const key = await registerSession(client);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => callOk<Appended>(client, 'update_context', { sessionKey: key, type: 'note', content: `parallel note ${i}` })),
    );
    expect(results.map((r) => r.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const stored = await db.query<{ sequence: number }>('SELECT e.sequence FROM context_entries e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1 ORDER BY e.sequence', [key]);
    expect(stored.rows.map((r) => r.sequence)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const session = await db.query<{ last_sequence: number }>('SELECT last_sequence FROM sessions WHERE session_key = $1', [key]);
    expect(session.rows[0]?.last_sequence).toBe(50);
  });

  it('returns the original entry for a retried idempotency key, even under concurrent retries', async () => {
    const key = await registerSession(client);
    const entry = { sessionKey: key, type: 'decision', content: 'Use PostgreSQL advisory locks for migrations', idempotencyKey: 'decision-1' };
    const first = await callOk<Appended>(client, 'update_context', entry);
    expect(first).toMatchObject({ sequence: 1, duplicate: false });

    const retries = await Promise.all(Array.from({ length: 10 }, () => callOk<Appended>(client, 'update_context', entry)));
    for (const retry of retries) expect(retry).toMatchObject({ sequence: 1, entryId: first.entryId, duplicate: true });

    const concurrent = await Promise.all(Array.from({ length: 10 }, () => callOk<Appended>(client, 'update_context', { ...entry, idempotencyKey: 'decision-2' })));
    expect(new Set(concurrent.map((r) => r.entryId)).size).toBe(1);
    expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(concurrent[0]?.sequence).toBe(2);

    const count = await db.query('SELECT count(*)::int AS n FROM context_entries e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1', [key]);
    expect(count.rows[0].n).toBe(2);
  });

  it('refuses an idempotency key reused for different content, and writes nothing', async () => {
    const key = await registerSession(client);
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'first', idempotencyKey: 'k' });
    const error = await callError(client, 'update_context', { sessionKey: key, type: 'note', content: 'second', idempotencyKey: 'k' });
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('already used for entry 1');
  });

  it('counts tokens at write time and stores a content hash', async () => {
    const key = await registerSession(client);
    const result = await callOk<Appended>(client, 'update_context', { sessionKey: key, type: 'message', content: 'Hello world, this is a test.' });
    expect(result.tokenCount).toBe(8);
    const row = await db.query<{ content_hash: string; token_count: number }>('SELECT content_hash, token_count FROM context_entries WHERE id = $1', [result.entryId]);
    expect(row.rows[0]?.content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.rows[0]?.token_count).toBe(8);
  });

  describe('errors', () => {
    it('ENTRY_TOO_LARGE names the size and the limit, and stores nothing', async () => {
      const key = await registerSession(client);
      const error = await callError(client, 'update_context', { sessionKey: key, type: 'note', content: 'x'.repeat(300 * 1024) });
      expect(error.code).toBe('ENTRY_TOO_LARGE');
      expect(error.message).toContain('307200 bytes');
      expect(error.message).toContain('262144');
      const session = await db.query('SELECT last_sequence FROM sessions WHERE session_key = $1', [key]);
      expect(session.rows[0].last_sequence).toBe(0);
    });

    it('INVALID_ARGUMENT for an unknown type lists the allowed types', async () => {
      const key = await registerSession(client);
      const error = await callError(client, 'update_context', { sessionKey: key, type: 'thought', content: 'hmm' });
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain('"thought"');
      expect(error.message).toContain('message, decision, todo, code_change, file, tool_call, command, error, note, system');
    });

    it('INVALID_ARGUMENT for arguments that break the schema names the field', async () => {
      const error = await callError(client, 'register_session', { sessionKey: 'has spaces', agentId: '' });
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain('sessionKey');
      expect(error.message).toContain('agentId');
      const unknown = await callError(client, 'update_context', { sessionKey: 'x', type: 'note', content: 'y', sequence: 3 });
      expect(unknown.message).toContain('sequence');
    });

    it('INVALID_ARGUMENT for refs that point at or past the new entry, without a gap in sequences', async () => {
      const key = await registerSession(client);
      await callOk(client, 'update_context', { sessionKey: key, type: 'todo', content: 'write the test' });
      const error = await callError(client, 'update_context', { sessionKey: key, type: 'todo', content: 'done', metadata: { refs: [2] } });
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain('refs');
      const closing = await callOk<Appended>(client, 'update_context', { sessionKey: key, type: 'todo', content: 'done', metadata: { refs: [1], status: 'done' } });
      expect(closing.sequence).toBe(2);
    });

    it('SESSION_NOT_FOUND for an unknown session', async () => {
      const error = await callError(client, 'update_context', { sessionKey: 'no-such-session', type: 'note', content: 'hello' });
      expect(error.code).toBe('SESSION_NOT_FOUND');
      expect(error.message).toContain('no-such-session');
      expect((await callError(client, 'get_context', { sessionKey: 'no-such-session' })).code).toBe('SESSION_NOT_FOUND');
    });

    it('SESSION_READ_ONLY for expired and archived sessions, which stay readable', async () => {
      for (const status of ['expired', 'archived']) {
        const key = await registerSession(client);
        await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'before' });
        await db.query(`UPDATE sessions SET status = $2 WHERE session_key = $1`, [key, status]);
        const error = await callError(client, 'update_context', { sessionKey: key, type: 'note', content: 'after' });
        expect(error.code).toBe('SESSION_READ_ONLY');
        expect(error.message).toContain(status);
        const page = await callOk<{ entries: { content: string }[] }>(client, 'get_context', { sessionKey: key });
        expect(page.entries.map((e) => e.content)).toEqual(['before']);
      }
    });
  });

  it('reactivates a dormant session on append and records the transition', async () => {
    const key = await registerSession(client);
    await db.query(`UPDATE sessions SET status = 'dormant' WHERE session_key = $1`, [key]);
    const result = await callOk<Appended>(client, 'update_context', { sessionKey: key, type: 'note', content: 'back to work' });
    expect(result.sessionStatus).toBe('active');
    const events = await db.query('SELECT from_status, to_status, reason FROM session_events e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1 ORDER BY e.id', [key]);
    expect(events.rows).toEqual([
      { from_status: null, to_status: 'active', reason: 'registered' },
      { from_status: 'dormant', to_status: 'active', reason: 'activity' },
    ]);
  });

  it('pages through context with afterSequence and filters by type', async () => {
    const key = await registerSession(client);
    for (let i = 1; i <= 7; i++) await callOk(client, 'update_context', { sessionKey: key, type: i % 2 === 0 ? 'decision' : 'note', content: `entry ${i}` });
    const first = await callOk<{ entries: { sequence: number }[]; nextAfterSequence: number | null }>(client, 'get_context', { sessionKey: key, limit: 3 });
    expect(first.entries.map((e) => e.sequence)).toEqual([1, 2, 3]);
    expect(first.nextAfterSequence).toBe(3);
    const last = await callOk<{ entries: { sequence: number }[]; nextAfterSequence: number | null }>(client, 'get_context', { sessionKey: key, afterSequence: 6, limit: 3 });
    expect(last.entries.map((e) => e.sequence)).toEqual([7]);
    expect(last.nextAfterSequence).toBeNull();
    const decisions = await callOk<{ entries: { sequence: number; type: string }[] }>(client, 'get_context', { sessionKey: key, types: ['decision'] });
    expect(decisions.entries.map((e) => e.sequence)).toEqual([2, 4, 6]);
    const badType = await callError(client, 'get_context', { sessionKey: key, types: ['decisions'] });
    expect(badType.code).toBe('INVALID_ARGUMENT');
    const badLimit = await callError(client, 'get_context', { sessionKey: key, limit: 5000 });
    expect(badLimit.message).toContain('1 to 1000');
  });

  it('lists sessions by agent, newest activity first, with a working cursor', async () => {
    const agentId = sessionKey('agent');
    const keys = [];
    for (let i = 0; i < 5; i++) keys.push(await registerSession(client, { agentId }));
    const first = await callOk<{ sessions: { sessionKey: string }[]; nextCursor: string | null }>(client, 'list_sessions', { agentId, limit: 2 });
    expect(first.sessions.map((s) => s.sessionKey)).toEqual([keys[4], keys[3]]);
    const rest = await callOk<{ sessions: { sessionKey: string }[]; nextCursor: string | null }>(client, 'list_sessions', { agentId, limit: 10, cursor: first.nextCursor });
    expect(rest.sessions.map((s) => s.sessionKey)).toEqual([keys[2], keys[1], keys[0]]);
    expect(rest.nextCursor).toBeNull();
    expect((await callError(client, 'list_sessions', { cursor: 'garbage' })).code).toBe('INVALID_ARGUMENT');
  });
});
