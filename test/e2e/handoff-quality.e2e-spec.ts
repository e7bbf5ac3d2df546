import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { countTextTokens } from 'src/platform/tokens/token-counter.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { callOk } from 'test/support/tool-calls.js';
import { loadTranscript, markdownSection, TRANSCRIPTS } from 'test/support/transcripts.js';

interface Quoted {
  sequence: number;
}

interface Pkg {
  markdown: string;
  budget: { packageTokens: number };
  openTodos: Quoted[];
  decisions: Quoted[];
  errors: { error: Quoted }[];
  files: { path: string }[];
  messages: Quoted[];
}

let baton: RunningHttpBaton;
let client: Client;

beforeAll(async () => {
  baton = await startHttpBaton();
  client = await connectHttpClient(baton.url);
});

afterAll(async () => {
  await client.close();
  await baton.close();
});

// Section 8 of the handoff issue, through the whole path: the transcripts
// are recorded with update_context and handed over with request_handoff.
describe.each(TRANSCRIPTS)('handoff quality of the %s transcript', (name) => {
  const { entries, expected } = loadTranscript(name);
  let key: string;

  beforeAll(async () => {
    key = await registerSession(client, { title: expected.title, agentId: 'claude-code@laptop' });
    for (const entry of entries) await callOk(client, 'update_context', { sessionKey: key, ...entry });
  }, 60_000);

  it.each([1000, 2000, 4000])('keeps every open todo, decision in force, the last unresolved error and the touched files at %i tokens, and nothing stale', async (tokenBudget) => {
    const { package: pkg, packageTokens } = await callOk<{ package: Pkg; packageTokens: number }>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer', tokenBudget });
    expect(packageTokens).toBeLessThanOrEqual(tokenBudget);
    expect(countTextTokens(pkg.markdown)).toBe(packageTokens);
    expect(pkg.openTodos.map((t) => t.sequence)).toEqual(expected.openTodos);
    expect(pkg.decisions.map((d) => d.sequence)).toEqual(expected.decisionsInForce);
    expect(pkg.errors.map((e) => e.error.sequence)).toContain(expected.lastUnresolvedError);
    expect(pkg.files.map((f) => f.path).sort()).toEqual(expected.touchedFiles);

    const todos = markdownSection(pkg.markdown, 'Open todos');
    const decisions = markdownSection(pkg.markdown, 'Decisions in force');
    for (const seq of expected.closedTodos) expect(todos).not.toMatch(new RegExp(`^#${seq} `, 'm'));
    for (const seq of expected.supersededDecisions) expect(decisions).not.toMatch(new RegExp(`^#${seq}[ (]`, 'm'));
    for (const seq of expected.openTodos) expect(todos).toMatch(new RegExp(`^#${seq} `, 'm'));
    for (const seq of expected.decisionsInForce) expect(decisions).toMatch(new RegExp(`^#${seq}[ (]`, 'm'));
  });

  // Pinned messages are candidates whatever their age and outrank every plain
  // one: no chatter is shown while a pinned message is left out.
  const pinnedAt = (budgets: number[]) => (expected.pinnedMessages.length > 0 ? it.each(budgets) : it.skip.each(budgets));
  pinnedAt([1000, 2000, 4000])('shows no plain message at %i tokens while a pinned one is left out', async (tokenBudget) => {
    const { package: pkg } = await callOk<{ package: Pkg }>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer', tokenBudget });
    const shown = pkg.messages.map((m) => m.sequence);
    const pinnedLeftOut = expected.pinnedMessages.filter((seq) => !shown.includes(seq));
    if (pinnedLeftOut.length > 0) expect(shown.filter((seq) => !expected.pinnedMessages.includes(seq))).toEqual([]);
  });

  pinnedAt([2000, 4000])('shows every pinned message among the key messages at %i tokens, however much chatter came after it', async (tokenBudget) => {
    const { package: pkg } = await callOk<{ package: Pkg }>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer', tokenBudget });
    expect(pkg.messages.map((m) => m.sequence)).toEqual(expect.arrayContaining(expected.pinnedMessages));
    const keyMessages = markdownSection(pkg.markdown, 'Key messages');
    for (const seq of expected.pinnedMessages) expect(keyMessages).toMatch(new RegExp(`^#${seq} `, 'm'));
  });
});
