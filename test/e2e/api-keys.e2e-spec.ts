import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

import { jest } from '@jest/globals';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { AuditTrail, type AuditRecord } from 'src/platform/audit/audit-trail.js';
import { issueApiKey } from 'src/platform/access/api-key.js';
import { startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { childEnv, testSettings } from 'test/support/test-config.js';
import { callOk } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

// API keys end to end: issued by the built `baton keys` against the test
// database, then used over MCP and REST on a Baton that accepts API keys only.
const run = promisify(execFile);
const NAMESPACE = `keys-e2e-${randomBytes(4).toString('hex')}`;
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

const READER_TOOLS = ['get_analysis_status', 'get_context', 'list_handoffs', 'list_sessions'];
const AGENT_TOOLS = [...READER_TOOLS, 'accept_handoff', 'analyze_codebase', 'cancel_analysis', 'complete_handoff', 'register_session', 'reject_handoff', 'request_handoff', 'update_context'];

interface KeyJson {
  key: string;
  id: string;
  namespace: string;
  agents: string[];
  role: string | null;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  replacesKeyId: string | null;
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  // The audit records among its JSON log lines.
  audit: Record<string, unknown>[];
}

// The built `baton keys ...`, logging at info so that its audit lines show.
async function keys(args: string[], overrides: Record<string, string> = {}): Promise<CliRun> {
  const env = childEnv(testSettings({ BATON_LOG_LEVEL: 'info', ...overrides }));
  const done = await run(process.execPath, [resolve('dist/main.js'), 'keys', ...args], { env, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
  const audit = done.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.audit !== undefined);
  return { ...done, audit };
}

async function createKey(args: string[], overrides: Record<string, string> = {}): Promise<KeyJson & { audit: Record<string, unknown>[] }> {
  const created = await keys(['create', '--namespace', NAMESPACE, '--json', ...args], overrides);
  if (created.code !== 0) throw new Error(`baton keys create failed: ${created.stderr}`);
  return { ...(JSON.parse(created.stdout) as KeyJson), audit: created.audit };
}

async function listKeys(): Promise<KeyJson[]> {
  const listed = await keys(['list', '--namespace', NAMESPACE, '--json']);
  return JSON.parse(listed.stdout) as KeyJson[];
}

let baton: RunningHttpBaton;
let audited: jest.SpiedFunction<AuditTrail['record']>;
let agentKey: KeyJson & { audit: Record<string, unknown>[] };

beforeAll(async () => {
  // No cache: a revocation shows on the next request.
  baton = await startHttpBaton({ BATON_AUTH_API_KEYS: 'true', BATON_API_KEY_CACHE_SECONDS: '0' });
  audited = jest.spyOn(baton.app.get(AuditTrail), 'record');
  agentKey = await createKey(['--name', 'agent-one', '--agent', 'agent-1', '--role', 'agent', '--expires-in', '30d']);
}, 120_000);

afterAll(async () => {
  await baton?.close();
});

function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

function connect(key: string, name: string) {
  return connectMcpClient(new StreamableHTTPClientTransport(baton.url, { requestInit: { headers: bearer(key) } }), name);
}

function initialize(key?: string): Promise<Response> {
  return fetch(baton.url, { method: 'POST', headers: { ...HEADERS, ...(key === undefined ? {} : bearer(key)) }, body: JSON.stringify(INITIALIZE) });
}

function authFailures(): AuditRecord[] {
  return audited.mock.calls.map(([record]) => record).filter((record) => record.action === 'auth.failed');
}

// API keys alone: a challenge without resource_metadata (there is no OAuth
// authorization server to point at).
async function expectChallenge(response: Response, description: string): Promise<void> {
  expect(response.status).toBe(401);
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
  expect(challenge).toContain(description);
  expect(challenge).not.toContain('resource_metadata');
  expect(await response.json()).toEqual({ error: 'invalid_token', error_description: expect.stringContaining(description) });
}

describe('baton keys create', () => {
  it('prints a key in the scanner-recognisable format once, and records key.created from the CLI', () => {
    expect(agentKey.key).toMatch(new RegExp(`^baton_${agentKey.id}_[0-9A-Za-z]{43}$`));
    expect(agentKey).toEqual(expect.objectContaining({ namespace: NAMESPACE, agents: ['agent-1'], role: 'agent', lastUsedAt: null, revokedAt: null }));
    expect(new Date(agentKey.expiresAt).getTime() - new Date(agentKey.createdAt).getTime()).toBe(30 * 86_400_000);
    expect(agentKey.audit).toEqual([expect.objectContaining({ audit: 'key.created', outcome: 'success', namespace: NAMESPACE, target: agentKey.id, source: 'cli', credentialId: 'local' })]);
  });

  it('lists keys without their secrets', async () => {
    const listed = await keys(['list', '--namespace', NAMESPACE]);
    expect(listed.stdout).toContain(agentKey.id);
    expect(listed.stdout).not.toContain(agentKey.key.slice(-43));
    expect(JSON.stringify(await listKeys())).not.toContain(agentKey.key.slice(-43));
  });

  it.each([
    ['an unknown role', ['--name', 'x', '--role', 'boss'], "argument 'boss' is invalid. Allowed choices are reader, agent, operator, admin"],
    ['a bad duration', ['--name', 'x', '--role', 'agent', '--expires-in', '3y'], '"3y" is not a duration'],
    ['an unknown scope', ['--name', 'x', '--scope', 'everything'], 'Unknown scope "everything"'],
  ])('refuses %s with a message and a non-zero exit, printing no key', async (_case, args, message) => {
    const refused = await keys(['create', '--namespace', NAMESPACE, ...args]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(message);
    expect(refused.stdout).not.toContain('baton_');
  });

  it('refuses to revoke an unknown id, saying where ids come from', async () => {
    const refused = await keys(['revoke', '0123456789abcdef']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('No API key has the id "0123456789abcdef"');
    expect(refused.stderr).toContain('baton keys list');
  });
});

describe('an API key over MCP and REST', () => {
  it('serves an MCP client with the key, listing only the role\'s tools, in the key\'s namespace', async () => {
    const client = await connect(agentKey.key, 'api-key-agent');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...AGENT_TOOLS].sort());
    await callOk(client, 'register_session', { sessionKey: `${NAMESPACE}-work`, agentId: 'agent-1' });
    const listed = await callOk<{ sessions: { sessionKey: string }[] }>(client, 'list_sessions', {});
    expect(listed.sessions.map((s) => s.sessionKey)).toEqual([`${NAMESPACE}-work`]);
    await client.close();
  });

  it('gives a reader key only the read tools', async () => {
    const reader = await createKey(['--name', 'reader', '--role', 'reader']);
    const client = await connect(reader.key, 'api-key-reader');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(READER_TOOLS);
    await client.close();
  });

  it('serves REST to the key and challenges REST without one', async () => {
    const ok = await fetch(new URL('/api/sessions', baton.url), { headers: bearer(agentKey.key) });
    expect(ok.status).toBe(200);
    await expectChallenge(await fetch(new URL('/api/sessions', baton.url)), 'Missing Authorization header');
  });

  it('records when the key was last used', async () => {
    const used = await waitFor('the last-used time', async () => (await listKeys()).find((k) => k.id === agentKey.id && k.lastUsedAt !== null));
    expect(new Date(used.lastUsedAt as string).getTime()).toBeGreaterThanOrEqual(new Date(agentKey.createdAt).getTime());
  });

  it('has no protected resource metadata when only API keys are on', async () => {
    expect((await fetch(new URL('/.well-known/oauth-protected-resource/mcp', baton.url))).status).toBe(404);
  });
});

describe('rejected API keys', () => {
  it('answers a malformed key with 401, saying what a key looks like, and records the failure', async () => {
    audited.mockClear();
    await expectChallenge(await initialize(`${agentKey.key.slice(0, 30)}`), 'the API key is malformed');
    expect(authFailures()).toEqual([expect.objectContaining({ action: 'auth.failed', outcome: 'denied', credentialId: `key:${agentKey.id}`, source: expect.stringMatching(/127\.0\.0\.1/), detail: expect.objectContaining({ credential: 'api_key', reason: 'malformed' }) })]);
  });

  it('answers a wrong secret and an unknown key id alike, revealing nothing about the id', async () => {
    audited.mockClear();
    const wrongSecret = `${agentKey.key.slice(0, -1)}${agentKey.key.endsWith('A') ? 'B' : 'A'}`;
    const unknown = issueApiKey();
    const [wrong, missing] = [await initialize(wrongSecret), await initialize(unknown.key)];
    await expectChallenge(wrong, 'the API key is not valid (unknown key or wrong secret)');
    await expectChallenge(missing, 'the API key is not valid (unknown key or wrong secret)');
    expect(authFailures().map((r) => [r.credentialId, r.detail?.reason])).toEqual([[`key:${agentKey.id}`, 'invalid'], [`key:${unknown.id}`, 'invalid']]);
  });

  it('answers an expired key with 401 naming expiry', async () => {
    const shortLived = await createKey(['--name', 'short', '--role', 'reader'], { BATON_API_KEY_TTL_SECONDS: '1' });
    await new Promise((done) => setTimeout(done, Math.max(0, new Date(shortLived.expiresAt).getTime() + 50 - Date.now())));
    audited.mockClear();
    await expectChallenge(await initialize(shortLived.key), 'the API key has expired');
    expect(authFailures()).toEqual([expect.objectContaining({ credentialId: `key:${shortLived.id}`, detail: expect.objectContaining({ reason: 'expired' }) })]);
  });

  it('revokes a key at once: the next request gets 401 naming revocation, and key.revoked is recorded', async () => {
    const doomed = await createKey(['--name', 'doomed', '--role', 'reader']);
    expect((await fetch(new URL('/api/sessions', baton.url), { headers: bearer(doomed.key) })).status).toBe(200);
    const revoked = await keys(['revoke', doomed.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.audit).toEqual([expect.objectContaining({ audit: 'key.revoked', target: doomed.id, namespace: NAMESPACE, source: 'cli' })]);
    await expectChallenge(await fetch(new URL('/api/sessions', baton.url), { headers: bearer(doomed.key) }), 'the API key has been revoked');
    expect((await listKeys()).find((k) => k.id === doomed.id)?.revokedAt).not.toBeNull();
    const again = await keys(['revoke', doomed.id]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already revoked');
  });

  it('rotates a key: the new key carries the same grants, the old one is refused, key.rotated is recorded', async () => {
    const old = await createKey(['--name', 'rotating', '--agent', 'agent-7', '--role', 'agent']);
    const rotated = await keys(['rotate', old.id, '--json']);
    expect(rotated.code).toBe(0);
    const fresh = JSON.parse(rotated.stdout) as KeyJson;
    expect(fresh).toEqual(expect.objectContaining({ namespace: NAMESPACE, agents: ['agent-7'], role: 'agent', replacesKeyId: old.id }));
    expect(fresh.key).not.toBe(old.key);
    expect(rotated.audit).toEqual([expect.objectContaining({ audit: 'key.rotated', target: old.id, detail: expect.objectContaining({ newKeyId: fresh.id }) })]);
    await expectChallenge(await initialize(old.key), 'the API key has been revoked');
    expect((await fetch(new URL('/api/sessions', baton.url), { headers: bearer(fresh.key) })).status).toBe(200);
  });

  it('keeps the old key working through a rotation grace period', async () => {
    const old = await createKey(['--name', 'graceful', '--role', 'reader']);
    const fresh = JSON.parse((await keys(['rotate', old.id, '--grace', '1h', '--json'])).stdout) as KeyJson;
    for (const key of [old.key, fresh.key]) expect((await fetch(new URL('/api/sessions', baton.url), { headers: bearer(key) })).status).toBe(200);
  });
});
