import { loadConfig } from 'src/config/config.loader.js';
import { LlmClient } from 'src/platform/llm/llm-client.service.js';
import { LlmUnavailableError } from 'src/platform/llm/llm.types.js';
import { startFakeLlmServer, type FakeLlmServer } from 'test/support/fake-llm-server.js';

const REQUEST = { system: 'You condense briefs.', prompt: 'Brief: ...', maxOutputTokens: 500 };

let fake: FakeLlmServer;

beforeEach(async () => {
  fake = await startFakeLlmServer();
});

afterEach(async () => {
  await fake.close();
});

function client(settings: Record<string, string>): LlmClient {
  return new LlmClient(loadConfig({ BATON_LLM_BASE_URL: `${fake.baseUrl}/v1`, BATON_LLM_API_KEY: 'sk-test', BATON_LLM_TIMEOUT_MS: '300', BATON_LLM_MAX_ATTEMPTS: '3', ...settings }, {}));
}

describe('LlmClient against local fake provider servers', () => {
  it('is disabled by default and says so', async () => {
    const llm = new LlmClient(loadConfig({}, {}));
    expect(llm.enabled).toBe(false);
    await expect(llm.complete(REQUEST)).rejects.toMatchObject({ reason: 'disabled' });
  });

  it('speaks OpenAI Chat Completions with the official SDK', async () => {
    const llm = client({ BATON_LLM_PROVIDER: 'openai', BATON_LLM_MODEL: 'gpt-test' });
    const completion = await llm.complete(REQUEST);
    expect(completion).toEqual({ text: 'condensed', provider: 'openai', model: 'gpt-test', usage: { inputTokens: 120, outputTokens: 30 } });
    const [request] = fake.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.body).toMatchObject({ model: 'gpt-test', max_tokens: 500, messages: [{ role: 'system', content: REQUEST.system }, { role: 'user', content: REQUEST.prompt }] });
    expect(llm.snapshot()).toMatchObject({ calls: 1, succeeded: 1, inputTokens: 120, outputTokens: 30, circuit: 'closed' });
  });

  it('speaks Azure OpenAI on deployment paths with an api-key header', async () => {
    const llm = new LlmClient(loadConfig({ BATON_LLM_PROVIDER: 'azure-openai', BATON_LLM_BASE_URL: fake.baseUrl, BATON_LLM_API_KEY: 'azure-key', BATON_LLM_MODEL: 'my-deployment' }, {}));
    await llm.complete(REQUEST);
    expect(fake.requests[0]?.path).toBe('/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21');
    expect(fake.requests[0]?.headers['api-key']).toBe('azure-key');
  });

  it('speaks Anthropic Messages with the official SDK', async () => {
    const llm = new LlmClient(loadConfig({ BATON_LLM_PROVIDER: 'anthropic', BATON_LLM_BASE_URL: fake.baseUrl, BATON_LLM_API_KEY: 'ant-key', BATON_LLM_MODEL: 'claude-test' }, {}));
    const completion = await llm.complete(REQUEST);
    expect(completion).toEqual({ text: 'condensed', provider: 'anthropic', model: 'claude-test', usage: { inputTokens: 110, outputTokens: 25 } });
    expect(fake.requests[0]?.path).toBe('/v1/messages');
    // The SDK sends the key as x-api-key or as a bearer token, depending on its version.
    expect(String(fake.requests[0]?.headers['x-api-key'] ?? fake.requests[0]?.headers.authorization)).toContain('ant-key');
    expect(fake.requests[0]?.headers['anthropic-version']).toBeDefined();
    expect(fake.requests[0]?.body).toMatchObject({ model: 'claude-test', system: REQUEST.system, max_tokens: 500 });
  });

  it('retries transient failures with backoff and succeeds', async () => {
    const llm = client({ BATON_LLM_PROVIDER: 'openai' });
    fake.script({ kind: 'status', status: 503 }, { kind: 'status', status: 429 });
    await expect(llm.complete(REQUEST)).resolves.toMatchObject({ text: 'condensed' });
    expect(fake.requests).toHaveLength(3);
  });

  it('does not retry a request the provider rejects as wrong', async () => {
    const llm = client({ BATON_LLM_PROVIDER: 'openai' });
    fake.script({ kind: 'status', status: 401 });
    await expect(llm.complete(REQUEST)).rejects.toMatchObject({ reason: 'failed', message: expect.stringContaining('HTTP 401') });
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up on a provider that does not answer, after the timeout and its retries', async () => {
    const llm = client({ BATON_LLM_PROVIDER: 'openai', BATON_LLM_MAX_ATTEMPTS: '2', BATON_LLM_TIMEOUT_MS: '150' });
    fake.script({ kind: 'hang' }, { kind: 'hang' });
    const error = await llm.complete(REQUEST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error).toMatchObject({ reason: 'timeout' });
    expect(fake.requests).toHaveLength(2);
  });

  it('opens the circuit after consecutive failures and stops calling the provider', async () => {
    const llm = client({ BATON_LLM_PROVIDER: 'openai', BATON_LLM_MAX_ATTEMPTS: '1', BATON_LLM_BREAKER_FAILURES: '2', BATON_LLM_BREAKER_RESET_MS: '60000' });
    fake.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    await expect(llm.complete(REQUEST)).rejects.toMatchObject({ reason: 'failed' });
    await expect(llm.complete(REQUEST)).rejects.toMatchObject({ reason: 'failed' });
    await expect(llm.complete(REQUEST)).rejects.toMatchObject({ reason: 'circuit_open' });
    expect(fake.requests).toHaveLength(2);
    expect(llm.snapshot()).toMatchObject({ calls: 3, unavailable: 3, circuit: 'open' });
  });
});
