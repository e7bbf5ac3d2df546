import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { countTextTokens } from 'src/platform/tokens/token-counter.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { copySampleProject, type CodebaseCopy } from 'test/support/codebase-fixture.js';
import { startFakeLlmServer, type FakeLlmServer } from 'test/support/fake-llm-server.js';
import { callOk } from 'test/support/tool-calls.js';

interface Condensation {
  outcome: string;
  provider: string;
  model: string | null;
  usage: { inputTokens: number; outputTokens: number } | null;
  reason: string | null;
}

interface Requested {
  handoffId: string;
  packageTokens: number;
  package: { mode: string; markdown: string; notice: string; condensation: Condensation | null; codebaseHighlights: { path: string; summary: string }[]; budget: { packageTokens: number } };
}

const CONDENSED = '## Goal\nFix the login flake.\n\n## Open todos\n- Add a retry test\n';

async function seed(client: Client): Promise<string> {
  const key = await registerSession(client);
  await callOk(client, 'update_context', { sessionKey: key, type: 'todo', content: 'Add a retry test for the login flow' });
  await callOk(client, 'update_context', { sessionKey: key, type: 'decision', content: 'Retry twice with jitter; a third failure is real' });
  await callOk(client, 'update_context', { sessionKey: key, type: 'code_change', content: 'Wrapped the session check in a retry', metadata: { files: ['src/models/user.ts'] } });
  return key;
}

describe('handoff condensation through a model (fake OpenAI-compatible server)', () => {
  let fake: FakeLlmServer;
  let baton: RunningHttpBaton;
  let client: Client;

  beforeAll(async () => {
    fake = await startFakeLlmServer(CONDENSED);
    baton = await startHttpBaton({
      BATON_LLM_PROVIDER: 'openai',
      BATON_LLM_BASE_URL: `${fake.baseUrl}/v1`,
      BATON_LLM_API_KEY: 'sk-test',
      BATON_LLM_MODEL: 'gpt-test',
      BATON_LLM_TIMEOUT_MS: '300',
      BATON_LLM_MAX_ATTEMPTS: '2',
    });
    client = await connectHttpClient(baton.url);
  });

  afterAll(async () => {
    await client.close();
    await baton.close();
    await fake.close();
  });

  it('offers the condensed Markdown, led by the data notice, with the usage recorded', async () => {
    const key = await seed(client);
    const requested = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer', tokenBudget: 1000 });
    expect(requested.package.mode).toBe('condensed');
    expect(requested.package.markdown).toContain('Fix the login flake.');
    expect(requested.package.markdown.startsWith(`> ${requested.package.notice}`)).toBe(true);
    expect(requested.package.condensation).toEqual({ outcome: 'condensed', provider: 'openai', model: 'gpt-test', usage: { inputTokens: 120, outputTokens: 30 }, reason: null });
    expect(requested.packageTokens).toBe(countTextTokens(requested.package.markdown));

    const prompt = fake.requests.at(-1)?.body as { messages: { role: string; content: string }[]; max_tokens: number };
    expect(prompt.max_tokens).toBe(1000);
    expect(prompt.messages[1]?.content).toContain('Add a retry test for the login flow');
    const stored = await callOk<{ package: Requested['package'] }>(client, 'accept_handoff', { handoffId: requested.handoffId, agentId: 'codex@ci' });
    expect(stored.package.markdown).toBe(requested.package.markdown);
  });

  it('falls back to the deterministic brief when the provider keeps failing, and says so', async () => {
    const key = await seed(client);
    fake.script({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const requested = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer', tokenBudget: 1000 });
    expect(requested.package.mode).toBe('deterministic');
    expect(requested.package.condensation).toMatchObject({ outcome: 'fallback', provider: 'openai', reason: 'failed', usage: null });
    expect(requested.package.markdown).toContain('Add a retry test for the login flow');
  });

  it('falls back when the model does not answer in time', async () => {
    const key = await seed(client);
    fake.script({ kind: 'hang' }, { kind: 'hang' });
    const requested = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer', tokenBudget: 1000 });
    expect(requested.package.condensation).toMatchObject({ outcome: 'fallback', reason: 'timeout' });
  });

  it('keeps the budget after the model: an answer above it is not used', async () => {
    const key = await seed(client);
    fake.script({ kind: 'ok', text: 'padding '.repeat(600) });
    const requested = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer', tokenBudget: 300 });
    expect(requested.package.mode).toBe('deterministic');
    expect(requested.package.condensation).toMatchObject({ outcome: 'fallback', reason: 'over_budget', usage: { inputTokens: 120, outputTokens: 30 } });
    expect(requested.packageTokens).toBeLessThanOrEqual(300);
  });
});

describe('handoff packages with codebase highlights', () => {
  let project: CodebaseCopy;
  let baton: RunningHttpBaton;
  let client: Client;

  beforeAll(async () => {
    project = copySampleProject();
    baton = await startHttpBaton({ BATON_ALLOWED_ROOTS: project.root });
    client = await connectHttpClient(baton.url);
  });

  afterAll(async () => {
    await client.close();
    await baton.close();
    project.remove();
  });

  it('highlight the touched files of the latest analysis, and no model means no condensation', async () => {
    const key = await seed(client);
    await callOk(client, 'analyze_codebase', { sessionKey: key, root: project.root, analysisType: 'full' });
    const requested = await callOk<Requested>(client, 'request_handoff', { sessionKey: key, targetAgent: 'codex@ci', type: 'context_transfer', tokenBudget: 2000 });
    const touched = requested.package.codebaseHighlights.find((h) => h.path === 'src/models/user.ts');
    expect(touched?.summary).toContain('touched by the session');
    expect(requested.package.markdown).toContain('src/models/user.ts');
    expect(requested.package.condensation).toBeNull();
  });
});
