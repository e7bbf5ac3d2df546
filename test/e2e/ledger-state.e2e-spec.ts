import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import pg from 'pg';

import type { LedgerEntry } from 'src/features/context/context.types.js';
import { decodeLedgerState } from 'src/features/context/ledger-state.codec.js';
import { reduceLedger } from 'src/features/context/ledger-state.reducer.js';
import { LEDGER_CHECKPOINT_EVERY } from 'src/features/context/context.service.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { callOk } from 'test/support/tool-calls.js';
import { loadTranscript } from 'test/support/transcripts.js';
import { waitFor } from 'test/support/wait-for.js';

let baton: RunningHttpBaton;
let client: Client;
let db: pg.Client;

beforeAll(async () => {
  baton = await startHttpBaton();
  client = await connectHttpClient(baton.url);
  db = new pg.Client({ connectionString: process.env.BATON_E2E_DATABASE_URL });
  await db.connect();
});

afterAll(async () => {
  await db.end();
  await client.close();
  await baton.close();
});

async function stored(sessionKey: string): Promise<{ through: number; state: ReturnType<typeof decodeLedgerState> } | undefined> {
  const { rows } = await db.query<{ through_sequence: number; state: unknown }>(
    'SELECT l.through_sequence, l.state FROM ledger_states l JOIN sessions s ON s.id = l.session_id WHERE s.session_key = $1',
    [sessionKey],
  );
  const row = rows[0];
  return row ? { through: row.through_sequence, state: decodeLedgerState(row.state) } : undefined;
}

// The reducer over every entry the database holds: what the stored state must equal.
async function fromEveryEntry(sessionKey: string) {
  const { rows } = await db.query<{ sequence: number; type: string; metadata: Record<string, unknown>; token_count: number; created_at: Date }>(
    'SELECT e.sequence, e.type::text AS type, e.metadata, e.token_count, e.created_at FROM context_entries e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1 ORDER BY e.sequence',
    [sessionKey],
  );
  return reduceLedger(rows.map((r): LedgerEntry => ({ sequence: r.sequence, type: r.type, metadata: r.metadata, tokenCount: r.token_count, createdAt: r.created_at })));
}

const handoff = (sessionKey: string, tokenBudget: number) => callOk(client, 'request_handoff', { sessionKey, targetAgent: 'codex@ci', type: 'context_transfer', tokenBudget });

describe('the stored ledger state', () => {
  it('equals the reducer over every entry once a handoff has read it, and is rebuilt when lost', async () => {
    const { entries } = loadTranscript('bug-hunt');
    const key = await registerSession(client, { agentId: 'claude-code@laptop' });
    for (const entry of entries) await callOk(client, 'update_context', { sessionKey: key, ...entry });
    await handoff(key, 2000);
    const first = await stored(key);
    expect(first?.through).toBe(entries.length);
    expect(first?.state).toEqual(await fromEveryEntry(key));

    // A session written before states were stored: rebuilt on the next read.
    await db.query('DELETE FROM ledger_states l USING sessions s WHERE s.id = l.session_id AND s.session_key = $1', [key]);
    await callOk(client, 'update_context', { sessionKey: key, type: 'todo', content: 'One more thing to check', metadata: { refs: [] } });
    await handoff(key, 3000);
    const rebuilt = await stored(key);
    expect(rebuilt?.through).toBe(entries.length + 1);
    expect(rebuilt?.state).toEqual(await fromEveryEntry(key));
  }, 60_000);

  it('is brought up to date by the appends themselves, without any handoff', async () => {
    const key = await registerSession(client, { agentId: 'claude-code@laptop' });
    for (let i = 1; i <= LEDGER_CHECKPOINT_EVERY; i++) await callOk(client, 'update_context', { sessionKey: key, type: i % 3 === 0 ? 'todo' : 'note', content: `step ${i}` });
    const checkpoint = await waitFor('the checkpoint after the appends', async () => (await stored(key))?.through === LEDGER_CHECKPOINT_EVERY && (await stored(key)));
    expect(checkpoint.state).toEqual(await fromEveryEntry(key));
  }, 60_000);
});
