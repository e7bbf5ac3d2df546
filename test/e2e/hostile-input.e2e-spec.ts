import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CompleteResultSchema, ListResourcesResultSchema } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';

import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, connectStdioClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { callError, callOk, readJson } from 'test/support/tool-calls.js';

const NUL = '\u0000';
const LONE = '\ud800';
const INT4_OVERFLOW = 2 ** 31;

let baton: RunningHttpBaton;
let client: Client;
let db: pg.Client;
let allowedRoot: string;
let key: string;
let handoffId: string;

beforeAll(async () => {
  allowedRoot = await mkdtemp(join(tmpdir(), 'baton-hostile-'));
  baton = await startHttpBaton({ BATON_ALLOWED_ROOTS: allowedRoot });
  client = await connectHttpClient(baton.url, 'hostile');
  db = new pg.Client({ connectionString: process.env.BATON_E2E_DATABASE_URL });
  await db.connect();
  key = await registerSession(client, { agentId: 'owner' });
  await callOk(client, 'update_context', { sessionKey: key, type: 'decision', content: 'Keep PostgreSQL' });
  handoffId = (await callOk<{ handoffId: string }>(client, 'request_handoff', { sessionKey: key, targetAgent: 'reader', type: 'context_transfer' })).handoffId;
});

afterAll(async () => {
  await client.close();
  await db.end();
  await baton.close();
  await rm(allowedRoot, { recursive: true, force: true });
});

// Valid arguments of every tool, and the string fields a caller controls.
function cases(): [tool: string, args: Record<string, unknown>, paths: string[][]][] {
  return [
    ['register_session', { agentId: 'a', title: 't', sessionKey: 'k-nul', tags: ['x'], repository: { root: '/r', remote: 'git@h:o/r.git', branch: 'main', dirtyFiles: ['f.ts'] }, metadata: { deep: { list: ['v'] } } }, [['agentId'], ['title'], ['sessionKey'], ['tags', '0'], ['repository', 'root'], ['repository', 'remote'], ['repository', 'branch'], ['repository', 'dirtyFiles', '0'], ['metadata', 'deep', 'list', '0']]],
    ['update_context', { sessionKey: key, type: 'note', content: 'c', metadata: { a: { b: 'v' } }, idempotencyKey: 'i', agentId: 'owner' }, [['type'], ['content'], ['metadata', 'a', 'b'], ['idempotencyKey'], ['agentId']]],
    ['get_context', { sessionKey: key, types: ['note'] }, [['sessionKey'], ['types', '0']]],
    ['list_sessions', { agentId: 'owner', cursor: 'abc' }, [['agentId'], ['cursor']]],
    ['analyze_codebase', { sessionKey: key, root: allowedRoot, include: ['**/*.ts'], exclude: ['dist/**'], analysisType: 'structure' }, [['root'], ['include', '0'], ['exclude', '0']]],
    ['get_analysis_status', { sessionKey: key, analysisId: 'latest' }, [['analysisId']]],
    ['cancel_analysis', { sessionKey: key, analysisId: 'x' }, [['analysisId']]],
    ['request_handoff', { sessionKey: key, targetAgent: 'reader', type: 'context_transfer', instructions: 'go' }, [['targetAgent'], ['instructions']]],
    ['list_handoffs', { agentId: 'reader', cursor: 'abc' }, [['agentId'], ['cursor']]],
    ['accept_handoff', { handoffId: 'h', agentId: 'reader', repository: { branch: 'main', dirtyFiles: ['a'] } }, [['handoffId'], ['agentId'], ['repository', 'branch'], ['repository', 'dirtyFiles', '0']]],
    ['reject_handoff', { handoffId: 'h', agentId: 'reader', reason: 'no' }, [['reason']]],
    ['complete_handoff', { handoffId: 'h', agentId: 'reader', outcome: 'done' }, [['outcome']]],
    ['set_legal_hold', { sessionKey: key, hold: true, reason: 'audit' }, [['reason']]],
    ['retry_failed_jobs', { jobId: 'j' }, [['jobId']]],
  ];
}

function withValue(args: Record<string, unknown>, path: string[], change: (value: string) => string): Record<string, unknown> {
  const copy = structuredClone(args);
  let holder = copy as Record<string, unknown>;
  for (const segment of path.slice(0, -1)) holder = holder[segment] as Record<string, unknown>;
  const last = path.at(-1) as string;
  holder[last] = change(String(holder[last]));
  return copy;
}

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

// One JSON-RPC request sent as written, in an MCP session of its own.
async function rawMcpCall(body: string): Promise<unknown> {
  const init = await fetch(baton.url, {
    method: 'POST',
    headers: MCP_HEADERS,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  await init.text();
  const response = await fetch(baton.url, { method: 'POST', headers: { ...MCP_HEADERS, 'mcp-session-id': init.headers.get('mcp-session-id') as string }, body });
  const text = await response.text();
  const data = text.split('\n').find((line) => line.startsWith('data: '));
  return JSON.parse(data ? data.slice('data: '.length) : text) as unknown;
}

async function rawRequest(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(baton.url.port), path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const forgedCursors = [
  Buffer.from(JSON.stringify(['2020-01-01T00:00:00.000Z', 'not-a-uuid'])).toString('base64url'),
  Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])).toString('base64url'),
  Buffer.from(JSON.stringify(['-271821-04-20T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])).toString('base64url'),
  Buffer.from(JSON.stringify(['2020-02-31T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])).toString('base64url'),
  Buffer.from(JSON.stringify([12, '00000000-0000-4000-8000-000000000000'])).toString('base64url'),
  Buffer.from('{"at":').toString('base64url'),
  '!!not base64!!',
  `a${NUL}b`,
];

describe('hostile tool arguments', () => {
  it('refuses a NUL in any string field of any tool with INVALID_ARGUMENT naming the field', async () => {
    for (const [tool, args, paths] of cases()) {
      for (const path of paths) {
        const error = await callError(client, tool, withValue(args, path, (v) => `${v}${NUL}x`));
        expect({ tool, path, code: error.code }).toEqual({ tool, path, code: 'INVALID_ARGUMENT' });
        expect(error.message).toContain(path.join('.'));
        expect(error.message).toContain('NUL');
      }
    }
  });

  it('refuses a NUL in a metadata key at any depth', async () => {
    const error = await callError(client, 'update_context', { sessionKey: key, type: 'note', content: 'c', metadata: { outer: [{ [`k${NUL}`]: 1 }] } });
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('metadata.outer.0') });
  });

  it('refuses lone surrogates in metadata keys and values, globs and content, and stores paired ones unchanged', async () => {
    for (const args of [
      { metadata: { [`k${LONE}`]: 1 } },
      { metadata: { k: `v${LONE}` } },
      { content: `half an emoji ${LONE}` },
      { content: `reversed \udc00\ud800 pair` },
    ]) {
      const error = await callError(client, 'update_context', { sessionKey: key, type: 'note', content: 'c', ...args });
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('surrogate') });
    }
    const glob = await callError(client, 'analyze_codebase', { sessionKey: key, root: allowedRoot, include: [`src/${LONE}*.ts`], analysisType: 'structure' });
    expect(glob).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('include.0') });

    const text = 'a pair stays as written: \ud83d\ude00 and U+FFFD stays too: \ufffd';
    const { sequence } = await callOk<{ sequence: number }>(client, 'update_context', { sessionKey: key, type: 'note', content: text, metadata: { emoji: '\ud83d\ude00' } });
    const stored = await db.query<{ content: string; metadata: { emoji: string } }>('SELECT e.content, e.metadata FROM context_entries e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1 AND e.sequence = $2', [key, sequence]);
    expect(stored.rows[0]).toEqual({ content: text, metadata: { emoji: '\ud83d\ude00' } });
  });

  it('refuses integers beyond int4 in metadata.refs, afterSequence, limits and budgets', async () => {
    const calls: [string, Record<string, unknown>][] = [
      ['update_context', { sessionKey: key, type: 'todo', content: 'x', metadata: { refs: [INT4_OVERFLOW] } }],
      ['update_context', { sessionKey: key, type: 'todo', content: 'x', metadata: { refs: [1e300] } }],
      ['get_context', { sessionKey: key, afterSequence: INT4_OVERFLOW }],
      ['get_context', { sessionKey: key, limit: Number.MAX_SAFE_INTEGER }],
      ['list_sessions', { limit: INT4_OVERFLOW }],
      ['list_handoffs', { agentId: 'reader', limit: INT4_OVERFLOW }],
      ['register_session', { agentId: 'a', ttlSeconds: 2 ** 53 }],
      ['request_handoff', { sessionKey: key, targetAgent: 'reader', type: 'context_transfer', tokenBudget: 2 ** 40 }],
      ['analyze_codebase', { sessionKey: key, root: allowedRoot, analysisType: 'structure', tokenBudget: 2 ** 40 }],
    ];
    for (const [tool, args] of calls) {
      const error = await callError(client, tool, args);
      expect({ tool, args, code: error.code }).toEqual({ tool, args, code: 'INVALID_ARGUMENT' });
    }
  });

  it('refuses forged cursors on list_sessions and list_handoffs', async () => {
    for (const cursor of forgedCursors) {
      for (const [tool, args] of [['list_sessions', {}], ['list_handoffs', { agentId: 'reader' }]] as const) {
        const error = await callError(client, tool, { ...args, cursor });
        expect({ tool, cursor, code: error.code }).toEqual({ tool, cursor, code: 'INVALID_ARGUMENT' });
      }
    }
  });

  it('refuses metadata nested 5,000 levels deep, and keeps what is nested within the limit', async () => {
    // A 30 KB body, written by hand: JSON.stringify itself overflows on it.
    const deep = `${'{"d":'.repeat(5000)}"bottom"${'}'.repeat(5000)}`;
    const args = `{"sessionKey":"${key}","type":"note","content":"deep","metadata":{"deep":${deep}}}`;
    const answer = await rawMcpCall(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"update_context","arguments":${args}}}`);
    expect(answer).toMatchObject({ id: 7, result: { isError: true, structuredContent: { error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/metadata\.deep\.d.*nested more than \d+ levels/) } } } });
    expect(JSON.stringify(answer).length).toBeLessThan(3000);

    let fine: unknown = 'bottom';
    for (let i = 0; i < 30; i++) fine = { d: fine };
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'deep but fine', metadata: { fine } });
    const pkg = await callOk<{ packageTokens: number }>(client, 'request_handoff', { sessionKey: key, targetAgent: 'deep-reader', type: 'context_transfer' });
    expect(pkg.packageTokens).toBeGreaterThan(0);
  });

  it('answers non-object arguments with JSON-RPC -32602 and a plain message', async () => {
    for (const args of [null, [], 'str', 5]) {
      const attempt = client.request({ method: 'tools/call', params: { name: 'list_sessions', arguments: args as unknown as Record<string, unknown> } }, CallToolResultSchema);
      await expect(attempt).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('arguments must be a JSON object') });
      await expect(attempt).rejects.toMatchObject({ message: expect.not.stringContaining('"code"') });
    }
  });

  it('bounds the input it echoes in error messages', async () => {
    const huge = 'T'.repeat(300_000);
    const error = await callError(client, 'update_context', { sessionKey: key, type: huge, content: 'x' });
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message.length).toBeLessThan(1000);
    const unknownKey = await callError(client, 'list_sessions', { [huge]: 1 });
    expect(unknownKey.message.length).toBeLessThan(1000);
    const resource = client.readResource({ uri: `handoff://sessions/${huge}` });
    await expect(resource).rejects.toMatchObject({ code: -32002 });
    await expect(resource.catch((e: Error) => e.message.length)).resolves.toBeLessThan(1000);
  });

  it('does not tell callers which roots are allowed', async () => {
    for (const root of ['relative/path', '/etc', join(tmpdir(), 'elsewhere')]) {
      const result = await client.callTool({ name: 'analyze_codebase', arguments: { sessionKey: key, root, analysisType: 'structure' } });
      expect(result.isError).toBe(true);
      expect((result.structuredContent as { error: { code: string } }).error.code).toBe('PATH_NOT_ALLOWED');
      expect(JSON.stringify(result)).not.toContain(allowedRoot);
    }
  });

  it('keeps every stored entry after the hostile calls', async () => {
    const stored = await db.query<{ sequence: number }>('SELECT e.sequence FROM context_entries e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1 ORDER BY e.sequence', [key]);
    expect(stored.rows.map((r) => r.sequence)).toEqual(Array.from({ length: stored.rows.length }, (_, i) => i + 1));
    expect(stored.rows[0]?.sequence).toBe(1);
  });
});

describe('hostile resource reads and completions', () => {
  it('answers malformed percent-encoding, NUL and lone surrogates in URIs with -32602 and a plain message', async () => {
    for (const uri of ['handoff://sessions/%ZZ', `handoff://sessions/a%00b`, `handoff://sessions/${key}/context?limit=1%00`, 'handoff://agents/%ED%A0%80/handoffs', `handoff://sessions/a${NUL}b/summary`]) {
      await expect(client.readResource({ uri })).rejects.toMatchObject({ code: -32602, message: expect.not.stringMatching(/URI malformed|prisma|22021/i) });
    }
  });

  it('answers integers beyond int4 in query strings with -32602', async () => {
    for (const uri of [`handoff://sessions/${key}/context?afterSequence=99999999999`, `handoff://sessions/${key}/context?limit=2147483648`, `handoff://sessions/${key}/summary?tokenBudget=99999999999999999999`]) {
      await expect(client.readResource({ uri })).rejects.toMatchObject({ code: -32602, message: expect.not.stringMatching(/prisma|22003|queryRaw/i) });
    }
  });

  it('answers forged cursors on every cursor-taking resource and resources/list with -32602', async () => {
    for (const cursor of forgedCursors) {
      const encoded = encodeURIComponent(cursor);
      await expect(client.readResource({ uri: `handoff://sessions?cursor=${encoded}` })).rejects.toMatchObject({ code: -32602 });
      await expect(client.readResource({ uri: `handoff://agents/reader/handoffs?cursor=${encoded}` })).rejects.toMatchObject({ code: -32602 });
      const inner = Buffer.from(JSON.stringify({ index: 0, inner: cursor })).toString('base64url');
      await expect(client.request({ method: 'resources/list', params: { cursor: inner } }, ListResourcesResultSchema)).rejects.toMatchObject({ code: -32602 });
    }
    const wrongShape = Buffer.from(JSON.stringify({ index: 0, inner: { not: 'a string' } })).toString('base64url');
    await expect(client.request({ method: 'resources/list', params: { cursor: wrongShape } }, ListResourcesResultSchema)).rejects.toMatchObject({ code: -32602 });
  });

  it('answers a NUL or lone surrogate in a completion value with -32602', async () => {
    for (const value of [`s${NUL}`, `s${LONE}`]) {
      const attempt = client.request({ method: 'completion/complete', params: { ref: { type: 'ref/resource', uri: 'handoff://sessions/{sessionKey}' }, argument: { name: 'sessionKey', value } } }, CompleteResultSchema);
      await expect(attempt).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('value') });
    }
    const fine = await client.complete({ ref: { type: 'ref/resource', uri: 'handoff://sessions/{sessionKey}' }, argument: { name: 'sessionKey', value: key } });
    expect(fine.completion.values).toContain(key);
  });

  it('reads a handoff and its context after all of that', async () => {
    expect(await readJson(client, `handoff://handoffs/${handoffId}`)).toMatchObject({ handoff: { handoffId } });
  });
});

describe('hostile HTTP requests', () => {
  const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

  it('answers a body that is not JSON with JSON-RPC -32700', async () => {
    const response = await fetch(baton.url, { method: 'POST', headers: HEADERS, body: '{"jsonrpc": "2.0", "id": 1, "method": ' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.stringContaining('JSON') } });
  });

  it('answers an empty batch with JSON-RPC -32600, with or without an MCP session', async () => {
    const bare = await fetch(baton.url, { method: 'POST', headers: HEADERS, body: '[]' });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
    const sessionId = (await openSession()).sessionId;
    const inSession = await fetch(baton.url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }, body: '[]' });
    expect(inSession.status).toBe(400);
    expect(await inSession.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32600 } });
  });

  it('refuses NUL and int4 overflow in REST paths and query strings with 400 INVALID_ARGUMENT', async () => {
    const base = new URL('/api/sessions', baton.url);
    for (const path of [`${base.pathname}/a%00b`, `${base.pathname}/a%00b/context`, `${base.pathname}?agentId=a%00b`, `${base.pathname}?cursor=${encodeURIComponent(forgedCursors[0] as string)}`, `${base.pathname}/${key}/context?afterSequence=99999999999`, `${base.pathname}/${key}/context?limit=2147483648`, `${base.pathname}/${key}/context?types=note%00`]) {
      const response = await fetch(new URL(path, baton.url));
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(await response.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    }
  });

  it('guards the REST API and health routes with the same Host and Origin checks as /mcp', async () => {
    for (const path of ['/api/sessions', `/api/sessions/${key}`, '/health/live']) {
      expect((await rawRequest('GET', path, { host: 'attacker.example' })).status).toBe(403);
      expect((await rawRequest('GET', path, { host: `127.0.0.1:${baton.url.port}`, origin: 'https://evil.example' })).status).toBe(403);
      expect((await rawRequest('GET', path, { host: `127.0.0.1:${baton.url.port}` })).status).toBe(200);
    }
  });

  it('bounds the 404 of an unknown path, whose message would name the whole URL', async () => {
    const path = `/etc/passwd/context?limit=${'x'.repeat(5000)}`;
    const answer = await rawRequest('GET', path, { host: `127.0.0.1:${baton.url.port}` });
    expect(answer.status).toBe(404);
    expect(answer.text.length).toBeLessThan(1200);
    expect((JSON.parse(answer.text) as { message: string }).message).toMatch(/^Cannot GET \/etc\/passwd\/context\?limit=x+\.\.\. \(message cut\)$/);
  });

  async function openSession(): Promise<{ sessionId: string }> {
    const response = await fetch(baton.url, {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    await response.text();
    return { sessionId: response.headers.get('mcp-session-id') as string };
  }
});

describe('hostile input over stdio', () => {
  it('answers non-object arguments and a NUL the same way as over HTTP', async () => {
    const stdio = await connectStdioClient();
    try {
      await expect(stdio.request({ method: 'tools/call', params: { name: 'list_sessions', arguments: [] as unknown as Record<string, unknown> } }, CallToolResultSchema)).rejects.toMatchObject({ code: -32602 });
      expect(await callError(stdio, 'list_sessions', { agentId: `a${NUL}` })).toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      await stdio.close();
    }
  });
});
