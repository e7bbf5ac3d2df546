import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import pg from 'pg';

import { countTextTokens } from 'src/platform/tokens/token-counter.js';
import { registerSession, sessionKey } from 'test/factories/session.factory.js';
import { connectHttpClient, connectStdioClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { watchUpdates } from 'test/support/notifications.js';
import { callError, callOk, readJson } from 'test/support/tool-calls.js';

interface Pkg {
  markdown: string;
  budget: { tokenBudget: number; packageTokens: number };
  session: { readOnly: boolean; status: string; ownerAgentId: string };
  openTodos: { sequence: number; quoted: string }[];
  decisions: { sequence: number }[];
  errors: { error: { sequence: number }; tried: { sequence: number }[] }[];
  files: { path: string }[];
  redactions: { count: number; kinds: Record<string, number> };
  builtThroughSequence: number;
  omitted: { count: number };
}

interface Requested {
  handoffId: string;
  status: string;
  packageTokens: number;
  readOnly: boolean;
  sessionStatus: string;
  package: Pkg;
}

interface Accepted {
  handoffId: string;
  status: string;
  package: Pkg;
  staleness: { checked: boolean; stale: boolean; commitMatches: boolean | null; branchMatches: boolean | null; touchedFiles: string[]; dirtyTouchedFiles: string[]; message: string; ledger: { newerEntries: number } };
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

async function seed(client: Client, key: string, agentId: string): Promise<void> {
  const entries: Record<string, unknown>[] = [
    { type: 'message', content: 'Goal: make the login test stop flaking on CI.', metadata: { kind: 'goal' } },
    { type: 'todo', content: 'Reproduce the flake with --runInBand' },
    { type: 'decision', content: 'Use fake timers in the session tests.' },
    { type: 'code_change', content: 'Switched session.spec.ts to jest fake timers', metadata: { files: ['test/session.spec.ts', 'src/auth/session.ts'] } },
    { type: 'error', content: 'Timeout - Async callback was not invoked within the 5000 ms timeout (session.spec.ts:41)' },
    { type: 'command', content: 'npx jest test/session.spec.ts x20: 2 failed', metadata: { refs: [5], status: 'failed' } },
    { type: 'decision', content: 'Use real timers, and await the refresh promise instead.', metadata: { refs: [3] } },
    { type: 'todo', content: 'done', metadata: { refs: [2], status: 'done' } },
    { type: 'todo', content: 'Remove the retry wrapper from the login helper' },
  ];
  for (const entry of entries) await callOk(client, 'update_context', { sessionKey: key, agentId, ...entry });
}

describe('handoffs over Streamable HTTP', () => {
  let client: Client;

  beforeAll(async () => {
    client = await connectHttpClient(baton.url);
  });

  afterAll(async () => {
    await client.close();
  });

  it('offers a package within budget that holds what is current, stored exactly as offered', async () => {
    const key = await registerSession(client, { agentId: 'claude@laptop' });
    await seed(client, key, 'claude@laptop');
    const requested = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer', instructions: 'Finish the flake.', tokenBudget: 600 });
    expect(requested.status).toBe('pending');
    expect(requested.packageTokens).toBeLessThanOrEqual(600);
    expect(countTextTokens(requested.package.markdown)).toBe(requested.packageTokens);
    expect(requested.package.openTodos.map((t) => t.sequence)).toEqual([9]);
    expect(requested.package.decisions.map((d) => d.sequence)).toEqual([7]);
    expect(requested.package.errors[0]?.error.sequence).toBe(5);
    expect(requested.package.errors[0]?.tried.map((t) => t.sequence)).toEqual([6]);
    expect(requested.package.files.map((f) => f.path).sort()).toEqual(['src/auth/session.ts', 'test/session.spec.ts']);
    expect(requested.package.markdown).toContain('Finish the flake.');

    // The ledger moves on; the stored package does not.
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'later note' });
    const stored = await readJson<{ handoff: { status: string }; package: Pkg; lifecycle: { to: string }[] }>(client, `handoff://handoffs/${requested.handoffId}`);
    expect(stored.package).toEqual(requested.package);
    expect(stored.lifecycle.map((e) => e.to)).toEqual(['pending']);
  });

  it('passes ownership on accepting a full_handoff: the previous owner gets SESSION_HANDED_OFF, others still append', async () => {
    const key = await registerSession(client, { agentId: 'claude@laptop', repository: { branch: 'main', commit: 'a1b2c3d4e5f6' } });
    await seed(client, key, 'claude@laptop');
    const { handoffId } = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'full_handoff' });

    const again = await callError(client, 'request_handoff', { sessionKey: key, targetAgent: 'cursor@desk', type: 'full_handoff' });
    expect(again.code).toBe('HANDOFF_ALREADY_PENDING');
    expect(again.message).toContain(handoffId);
    await callOk(client, 'request_handoff', { sessionKey: key, targetAgent: 'cursor@desk', type: 'context_transfer' });

    expect((await callError(client, 'accept_handoff', { handoffId, agentId: 'cursor@desk' })).code).toBe('HANDOFF_NOT_FOR_AGENT');
    await callOk(client, 'update_context', { sessionKey: key, agentId: 'claude@laptop', type: 'note', content: 'still mine' });

    const accepted = await callOk<Accepted>(client, 'accept_handoff', { handoffId, agentId: 'codex@ci', repository: { branch: 'feature/x', commit: 'ffff0000aaaa', dirtyFiles: ['src/auth/session.ts'] } });
    expect(accepted.status).toBe('accepted');
    expect(accepted.staleness).toMatchObject({ checked: true, stale: true, commitMatches: false, branchMatches: false, dirtyTouchedFiles: ['src/auth/session.ts'], ledger: { newerEntries: 1 } });
    expect(accepted.staleness.touchedFiles.sort()).toEqual(['src/auth/session.ts', 'test/session.spec.ts']);
    expect(accepted.staleness.message).toContain('differs from the session\'s anchor');

    const session = await readJson<{ session: { agentId: string } }>(client, `handoff://sessions/${key}`);
    expect(session.session.agentId).toBe('codex@ci');
    const refused = await callError(client, 'update_context', { sessionKey: key, agentId: 'claude@laptop', type: 'note', content: 'too late' });
    expect(refused.code).toBe('SESSION_HANDED_OFF');
    expect(refused.message).toContain('codex@ci');
    await callOk(client, 'update_context', { sessionKey: key, agentId: 'codex@ci', type: 'note', content: 'new owner here' });
    await callOk(client, 'update_context', { sessionKey: key, agentId: 'cursor@desk', type: 'note', content: 'a collaborator' });
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'no agent id, as before' });

    // Accepting again answers the same; completing records the outcome.
    expect((await callOk<Accepted>(client, 'accept_handoff', { handoffId, agentId: 'codex@ci' })).package).toEqual(accepted.package);
    const done = await callOk<{ status: string }>(client, 'complete_handoff', { handoffId, agentId: 'codex@ci', outcome: 'flake fixed' });
    expect(done.status).toBe('completed');
    const { rows } = await db.query<{ from_status: string | null; to_status: string; agent_id: string | null; note: string }>('SELECT from_status, to_status, agent_id, note FROM handoff_events WHERE handoff_id = $1 ORDER BY id', [handoffId]);
    expect(rows).toEqual([
      { from_status: null, to_status: 'pending', agent_id: 'claude@laptop', note: 'requested' },
      { from_status: 'pending', to_status: 'accepted', agent_id: 'codex@ci', note: 'accepted' },
      { from_status: 'accepted', to_status: 'completed', agent_id: 'codex@ci', note: 'flake fixed' },
    ]);
    // A handoff back makes the first agent the owner again.
    const back = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'claude@laptop', type: 'full_handoff' });
    await callOk(client, 'accept_handoff', { handoffId: back.handoffId, agentId: 'claude@laptop' });
    await callOk(client, 'update_context', { sessionKey: key, agentId: 'claude@laptop', type: 'note', content: 'mine again' });
    expect((await callError(client, 'update_context', { sessionKey: key, agentId: 'codex@ci', type: 'note', content: 'not any more' })).code).toBe('SESSION_HANDED_OFF');
  });

  it('rejects with a reason, and refuses transitions that do not follow the states', async () => {
    const key = await registerSession(client);
    const { handoffId } = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'full_handoff' });
    expect((await callError(client, 'complete_handoff', { handoffId, agentId: 'codex@ci' })).code).toBe('HANDOFF_INVALID_STATE');
    const rejected = await callOk<{ status: string }>(client, 'reject_handoff', { handoffId, agentId: 'codex@ci', reason: 'busy with the release' });
    expect(rejected.status).toBe('rejected');
    const late = await callError(client, 'accept_handoff', { handoffId, agentId: 'codex@ci' });
    expect(late.code).toBe('HANDOFF_INVALID_STATE');
    expect(late.message).toContain('rejected');
    const listed = await callOk<{ handoffs: { handoffId: string; status: string }[] }>(client, 'list_handoffs', { agentId: 'codex@ci', status: 'rejected' });
    expect(listed.handoffs.map((h) => h.handoffId)).toContain(handoffId);
    // The rejected full_handoff no longer blocks a new one.
    await callOk(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'full_handoff' });
  });

  it('hands over expired and archived sessions for reading, and says so', async () => {
    for (const status of ['expired', 'archived']) {
      const key = await registerSession(client);
      await callOk(client, 'update_context', { sessionKey: key, type: 'todo', content: 'left unfinished' });
      await db.query('UPDATE sessions SET status = $2 WHERE session_key = $1', [key, status]);
      const requested = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer' });
      expect(requested).toMatchObject({ readOnly: true, sessionStatus: status });
      expect(requested.package.markdown).toContain(`This session is ${status} and read-only`);
      expect(requested.package.openTodos.map((t) => t.quoted)).toEqual(['left unfinished']);
    }
  });

  it('redacts secrets in packages and summaries but leaves the stored entry untouched', async () => {
    const key = await registerSession(client);
    const token = ['ghp', '16C7e42F292c6912E7710c838347Ae178B4a'].join('_');
    await callOk(client, 'update_context', { sessionKey: key, type: 'todo', content: `Rotate the CI token ${token} after the release` });
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'cat .env\nDB_PASSWORD=correct-horse-battery\nPORT=3000' });
    const requested = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer' });
    const summary = await readJson<Pkg>(client, `handoff://sessions/${key}/summary`);
    for (const pkg of [requested.package, summary]) {
      expect(JSON.stringify(pkg)).not.toContain(token);
      expect(JSON.stringify(pkg)).not.toContain('correct-horse-battery');
      expect(pkg.markdown).toContain('[REDACTED:GITHUB_TOKEN]');
      expect(pkg.redactions.count).toBe(2);
    }
    const stored = await callOk<{ entries: { content: string }[] }>(client, 'get_context', { sessionKey: key });
    expect(stored.entries[0]?.content).toContain(token);
  });

  it('serves the current brief as a summary, cached until the next append', async () => {
    const key = await registerSession(client);
    await seed(client, key, 'agent-under-test');
    const before = await readJson<{ caches: Record<string, { hits: number; misses: number }> }>(client, 'handoff://cache');
    const first = await readJson<Pkg>(client, `handoff://sessions/${key}/summary?tokenBudget=800`);
    const second = await readJson<Pkg>(client, `handoff://sessions/${key}/summary?tokenBudget=800`);
    expect(second).toEqual(first);
    const after = await readJson<{ caches: Record<string, { hits: number; misses: number }> }>(client, 'handoff://cache');
    expect(after.caches['session-summary']?.hits).toBe((before.caches['session-summary']?.hits ?? 0) + 1);
    expect(after.caches['session-summary']?.misses).toBe((before.caches['session-summary']?.misses ?? 0) + 1);

    await callOk(client, 'update_context', { sessionKey: key, type: 'todo', content: 'Add a regression test' });
    const third = await readJson<Pkg>(client, `handoff://sessions/${key}/summary?tokenBudget=800`);
    expect(third.builtThroughSequence).toBe(first.builtThroughSequence + 1);
    expect(third.openTodos.map((t) => t.quoted)).toContain('Add a regression test');
    expect(first.budget.packageTokens).toBeLessThanOrEqual(800);
  });

  describe('errors', () => {
    it('explains a bad budget, type, handoff id or session', async () => {
      const key = await registerSession(client);
      const small = await callError(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex', type: 'context_transfer', tokenBudget: 100 });
      expect(small).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('256') });
      const type = await callError(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex', type: 'handover' });
      expect(type).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('type') });
      const long = await callError(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex', type: 'context_transfer', tokenBudget: 300, instructions: 'Please read everything carefully. '.repeat(40) });
      expect(long.message).toContain('instructions');
      const self = await callError(client, 'request_handoff', { sessionKey: key, targetAgent: 'agent-under-test', type: 'full_handoff' });
      expect(self.message).toContain('already owns');
      expect((await callError(client, 'request_handoff', { sessionKey: 'no-such-session', targetAgent: 'codex', type: 'context_transfer' })).code).toBe('SESSION_NOT_FOUND');
      expect((await callError(client, 'accept_handoff', { handoffId: 'not-a-uuid', agentId: 'codex' })).code).toBe('INVALID_ARGUMENT');
      expect((await callError(client, 'accept_handoff', { handoffId: '00000000-0000-4000-8000-000000000000', agentId: 'codex' })).code).toBe('HANDOFF_NOT_FOUND');
      expect((await callError(client, 'reject_handoff', { handoffId: '00000000-0000-4000-8000-000000000000', agentId: 'codex', reason: '' })).code).toBe('INVALID_ARGUMENT');
      await expect(client.readResource({ uri: 'handoff://handoffs/00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: -32002 });
      await expect(client.readResource({ uri: `handoff://sessions/${key}/summary?tokenBudget=lots` })).rejects.toMatchObject({ code: -32602 });
    });
  });
});

describe('push', () => {
  it('notifies the target over stdio when a handoff requested over HTTP arrives, and the requester when it changes state', async () => {
    const requester = await connectHttpClient(baton.url);
    const target = await connectStdioClient();
    try {
      const agent = `${sessionKey('codex')}@ci`;
      const inbox = `handoff://agents/${encodeURIComponent(agent)}/handoffs`;
      const targetUpdates = watchUpdates(target);
      // Subscribed with the query the agent reads with: still notified.
      await target.subscribeResource({ uri: `${inbox}?status=pending` });
      const key = await registerSession(requester);
      const arrived = targetUpdates.next(`${inbox}?status=pending`);
      const { handoffId } = await callOk<Requested>(requester, 'request_handoff', { sessionKey: key, targetAgent: agent, type: 'full_handoff' });
      await arrived;

      const requesterUpdates = watchUpdates(requester);
      const handoffUri = `handoff://handoffs/${handoffId}`;
      await requester.subscribeResource({ uri: handoffUri });
      const accepted = requesterUpdates.next(handoffUri);
      await callOk(target, 'accept_handoff', { handoffId, agentId: agent });
      await accepted;
      const read = await readJson<{ handoff: { status: string } }>(requester, handoffUri);
      expect(read.handoff.status).toBe('accepted');
    } finally {
      await Promise.all([requester.close(), target.close()]);
    }
  });

  it('notifies summary subscribers of every append', async () => {
    const client = await connectHttpClient(baton.url);
    try {
      const key = await registerSession(client);
      const updates = watchUpdates(client);
      const uri = `handoff://sessions/${key}/summary`;
      await client.subscribeResource({ uri });
      const arrived = updates.next(uri);
      await callOk(client, 'update_context', { sessionKey: key, type: 'decision', content: 'Ship behind a flag' });
      await arrived;
    } finally {
      await client.close();
    }
  });
});

describe('expiry', () => {
  it('expires an overdue pending handoff when it is next looked at, recording the transition', async () => {
    const client = await connectHttpClient(baton.url);
    try {
      const key = await registerSession(client);
      const { handoffId } = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'late@agent', type: 'full_handoff' });
      await db.query(`UPDATE handoffs SET expires_at = now() - interval '1 second' WHERE id = $1`, [handoffId]);
      const listed = await callOk<{ handoffs: { handoffId: string; status: string }[] }>(client, 'list_handoffs', { agentId: 'late@agent' });
      expect(listed.handoffs.find((h) => h.handoffId === handoffId)?.status).toBe('expired');
      const error = await callError(client, 'accept_handoff', { handoffId, agentId: 'late@agent' });
      expect(error.code).toBe('HANDOFF_INVALID_STATE');
      expect(error.message).toContain('expired');
      // No longer pending, so a new full_handoff is allowed.
      await callOk(client, 'request_handoff', { sessionKey: key, targetAgent: 'late@agent', type: 'full_handoff' });
    } finally {
      await client.close();
    }
  });
});
