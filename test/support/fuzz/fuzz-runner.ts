import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CompleteResultSchema, McpError, ReadResourceResultSchema } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';

import { generateCalls, type FuzzCall, type FuzzPool } from 'test/support/fuzz/call-generator.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { SeededRandom } from 'test/support/fuzz/seeded-random.js';

export interface FuzzOptions {
  url: URL;
  databaseUrl: string;
  allowedRoot: string;
  seed: number;
  calls: number;
  concurrency?: number;
  callTimeoutMs?: number;
}

export interface FuzzReport {
  seed: number;
  calls: number;
  // Every tool the server lists (each is in byKind as "tool <name>").
  tools: string[];
  byKind: Record<string, number>;
  outcomes: Record<string, number>;
  durationMs: number;
  slowestMs: number;
  acknowledged: { entries: number; sessions: number; handoffs: number };
  // Calls that answered INTERNAL, -32603, a 5xx, an unbounded message or nothing in time.
  failures: string[];
  // Acknowledged writes missing or duplicated, sequences with gaps.
  ledgerProblems: string[];
}

// Longest error message a hostile call may get back (Baton bounds echoes).
const MESSAGE_LIMIT = 1_100;
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

interface Acks {
  entries: Map<string, { sessionKey: string; sequence: number }>;
  sessions: Set<string>;
  handoffs: Set<string>;
}

// Sends generated calls to a running Baton, `concurrency` at a time, each
// with its own timeout, then checks the database for every write Baton
// acknowledged.
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { url, seed, calls: count, concurrency = 8, callTimeoutMs = 15_000 } = options;
  const clients = await Promise.all([connect(url), connect(url)]);
  const rawSession = await openRawSession(url);
  try {
    const pool = await preparePool(clients[0] as Client, seed, options.allowedRoot);
    const calls = generateCalls(new SeededRandom(seed), pool, count);
    const acks: Acks = { entries: new Map(), sessions: new Set(pool.sessionKeys), handoffs: new Set(pool.handoffIds) };
    const failures: string[] = [];
    const outcomes: Record<string, number> = {};
    const byKind: Record<string, number> = {};
    let slowestMs = 0;
    let next = 0;
    const started = performance.now();
    const worker = async (client: Client): Promise<void> => {
      for (let index = next++; index < calls.length; index = next++) {
        const call = calls[index] as FuzzCall;
        const label = call.kind === 'tool' ? `tool ${call.name.slice(0, 40)}` : call.kind;
        byKind[label] = (byKind[label] ?? 0) + 1;
        const callStarted = performance.now();
        let outcome: string;
        try {
          outcome = await execute(client, call, { url, rawSession, callTimeoutMs, acks });
        } catch (error) {
          outcome = `failure: ${(error as Error).message.slice(0, 300)}`;
        }
        slowestMs = Math.max(slowestMs, performance.now() - callStarted);
        if (outcome.startsWith('failure')) failures.push(`#${index} ${describe(call)} -> ${outcome}`);
        const bucket = outcome.startsWith('failure') ? 'failure' : outcome;
        outcomes[bucket] = (outcomes[bucket] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(clients[i % clients.length] as Client)));
    const durationMs = performance.now() - started;
    const ledgerProblems = await checkLedger(options.databaseUrl, acks);
    return {
      seed,
      calls: calls.length,
      tools: pool.tools,
      byKind,
      outcomes,
      durationMs,
      slowestMs,
      acknowledged: { entries: acks.entries.size, sessions: acks.sessions.size, handoffs: acks.handoffs.size },
      failures,
      ledgerProblems,
    };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

// Clients that listed the tools, so every result is checked against its
// tool's outputSchema exactly as real clients check it.
async function connect(url: URL): Promise<Client> {
  return connectMcpClient(new StreamableHTTPClientTransport(url), 'fuzz');
}

// Sessions with entries, an analysis and handoffs for the calls to name.
async function preparePool(client: Client, seed: number, allowedRoot: string): Promise<FuzzPool> {
  const call = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const result = await client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema);
    if (result.isError) throw new Error(`fuzz set-up: ${name} failed: ${JSON.stringify(result.structuredContent)}`);
    return result.structuredContent as Record<string, unknown>;
  };
  const agents = ['fuzz-a', 'fuzz-b', 'fuzz-c'];
  const sessionKeys = Array.from({ length: 6 }, (_, i) => `fz-${seed.toString(36)}-${i}`);
  const entriesPerSession = 5;
  for (const sessionKey of sessionKeys) {
    await call('register_session', { sessionKey, agentId: 'fuzz-a', title: 'Fuzzed session' });
    for (const [type, content] of [['todo', 'write the test'], ['decision', 'use PostgreSQL'], ['error', 'TypeError in login'], ['note', 'looked at it'], ['message', 'ok']]) {
      await call('update_context', { sessionKey, type, content, agentId: 'fuzz-a' });
    }
  }
  const analysis = await call('analyze_codebase', { sessionKey: sessionKeys[0], root: allowedRoot, analysisType: 'structure' });
  const handoffIds = [
    (await call('request_handoff', { sessionKey: sessionKeys[0], targetAgent: 'fuzz-b', type: 'context_transfer' })).handoffId as string,
    (await call('request_handoff', { sessionKey: sessionKeys[1], targetAgent: 'fuzz-c', type: 'full_handoff' })).handoffId as string,
  ];
  const tools = (await client.listTools()).tools.map((tool) => tool.name);
  const templates = (await client.listResourceTemplates()).resourceTemplates.map((template) => template.uriTemplate);
  const resourceUris = (await client.listResources()).resources.map((resource) => resource.uri).filter((uri) => /^handoff:\/\/[a-z]+$/.test(uri));
  return { sessionKeys, entriesPerSession, handoffIds, analysisId: analysis.analysisId as string, allowedRoot, agents, tools, templates, resourceUris };
}

async function openRawSession(url: URL): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: MCP_HEADERS,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz-raw', version: '1' } } }),
  });
  await response.text();
  const id = response.headers.get('mcp-session-id');
  if (!id) throw new Error(`fuzz set-up: initialize gave no MCP session (HTTP ${response.status})`);
  return id;
}

const SWEEP_MAX_WAIT_MS = 60_000;

interface Context {
  url: URL;
  rawSession: string;
  callTimeoutMs: number;
  acks: Acks;
}

// The outcome of one call: "ok", "tool error <CODE>", "json-rpc <code>",
// "http <status>", or "failure: ..." for what must never happen.
async function execute(client: Client, call: FuzzCall, context: Context): Promise<string> {
  const timeout = context.callTimeoutMs;
  switch (call.kind) {
    case 'tool':
      return jsonRpc(['-32602'], async () => {
        // run_lifecycle_sweep waits for its sweep by design (waitSeconds,
        // 20 s when left out, at most 60): only past that is it a hang.
        const allowed = call.name === 'run_lifecycle_sweep' ? timeout + SWEEP_MAX_WAIT_MS : timeout;
        const result = await client.callTool({ name: call.name, arguments: call.args as Record<string, unknown> }, CallToolResultSchema, { timeout: allowed });
        return toolOutcome(call.name, result as { isError?: boolean; structuredContent?: Record<string, unknown> }, context.acks);
      });
    case 'resource':
      return jsonRpc(['-32602', '-32002'], async () => {
        await client.request({ method: 'resources/read', params: { uri: call.uri } }, ReadResourceResultSchema, { timeout });
        return 'ok';
      });
    case 'complete':
      return jsonRpc(['-32602'], async () => {
        await client.request({ method: 'completion/complete', params: { ref: { type: 'ref/resource', uri: call.template }, argument: { name: call.argument, value: call.value } } }, CompleteResultSchema, { timeout });
        return 'ok';
      });
    case 'rest': {
      const response = await fetch(new URL(call.path, context.url), { signal: AbortSignal.timeout(timeout) });
      const text = await response.text();
      if (response.status >= 500) return `failure: HTTP ${response.status} ${text.slice(0, 200)}`;
      if (text.length > 2_000 && response.status >= 400) return `failure: an error body of ${text.length} characters`;
      return `http ${response.status}`;
    }
    case 'raw': {
      const response = await fetch(context.url, { method: 'POST', headers: { ...MCP_HEADERS, 'mcp-session-id': context.rawSession }, body: call.body, signal: AbortSignal.timeout(timeout) });
      const text = await response.text();
      if (response.status >= 500) return `failure: HTTP ${response.status} ${text.slice(0, 200)}`;
      for (const message of jsonMessages(text)) {
        const error = (message as { error?: { code?: number } }).error;
        if (error?.code === -32603) return `failure: JSON-RPC -32603 ${JSON.stringify(error).slice(0, 200)}`;
        const structured = (message as { result?: { structuredContent?: { error?: { code?: string } } } }).result?.structuredContent;
        if (structured?.error?.code === 'INTERNAL') return 'failure: tool error INTERNAL';
      }
      return `http ${response.status}`;
    }
  }
}

function toolOutcome(name: string, result: { isError?: boolean; structuredContent?: Record<string, unknown> }, acks: Acks): string {
  if (result.isError) {
    const error = (result.structuredContent as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (!error?.code) return 'failure: an error result without an error envelope';
    if (error.code === 'INTERNAL') return `failure: tool error INTERNAL: ${error.message ?? ''}`;
    if ((error.message ?? '').length > MESSAGE_LIMIT) return `failure: a ${error.message?.length}-character error message`;
    return `tool error ${error.code}`;
  }
  const out = result.structuredContent ?? {};
  if (name === 'update_context') acks.entries.set(out.entryId as string, { sessionKey: out.sessionKey as string, sequence: out.sequence as number });
  if (name === 'register_session') acks.sessions.add(out.sessionKey as string);
  if (name === 'request_handoff') acks.handoffs.add(out.handoffId as string);
  return 'ok';
}

async function jsonRpc(allowed: string[], run: () => Promise<string>): Promise<string> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof McpError)) throw error;
    if (error.code === -32001) return 'failure: no answer in time';
    // Raised by the client itself, as any agent's client would.
    if (/Structured content does not match|did not return structured content/.test(error.message)) return `failure: the result breaks its outputSchema: ${error.message.slice(0, 300)}`;
    if (!allowed.includes(String(error.code))) return `failure: JSON-RPC ${error.code} ${error.message.slice(0, 200)}`;
    if (error.message.length > MESSAGE_LIMIT + 40) return `failure: a ${error.message.length}-character JSON-RPC message`;
    return `json-rpc ${error.code}`;
  }
}

function jsonMessages(text: string): unknown[] {
  const bodies = text.includes('data: ') ? text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)) : [text];
  return bodies.flatMap((body) => {
    try {
      const parsed = JSON.parse(body) as unknown;
      return Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      return [];
    }
  });
}

async function checkLedger(databaseUrl: string, acks: Acks): Promise<string[]> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const problems: string[] = [];
  try {
    const ids = [...acks.entries.keys()];
    const stored = await db.query<{ id: string; sequence: number; session_key: string }>('SELECT e.id::text AS id, e.sequence, s.session_key FROM context_entries e JOIN sessions s ON s.id = e.session_id WHERE e.id = ANY($1::uuid[])', [ids]);
    const found = new Map(stored.rows.map((row) => [row.id, row]));
    for (const [id, ack] of acks.entries) {
      const row = found.get(id);
      if (!row) problems.push(`acknowledged entry ${id} (${ack.sessionKey} #${ack.sequence}) is missing`);
      else if (row.sequence !== ack.sequence || row.session_key !== ack.sessionKey) problems.push(`entry ${id} was acknowledged as ${ack.sessionKey} #${ack.sequence} but is stored as ${row.session_key} #${row.sequence}`);
    }
    const sequences = await db.query<{ session_key: string; last_sequence: number; n: number; distinct_n: number; lo: number | null; hi: number | null }>(
      'SELECT s.session_key, s.last_sequence, count(e.id)::int AS n, count(DISTINCT e.sequence)::int AS distinct_n, min(e.sequence) AS lo, max(e.sequence) AS hi FROM sessions s LEFT JOIN context_entries e ON e.session_id = s.id WHERE s.session_key = ANY($1) GROUP BY s.id',
      // The run's own sessions: other suites sharing the database archive and purge theirs.
      [[...acks.sessions]],
    );
    for (const row of sequences.rows) {
      const gapless = row.n === row.last_sequence && row.distinct_n === row.n && (row.n === 0 || (row.lo === 1 && row.hi === row.n));
      if (!gapless) problems.push(`session ${row.session_key}: last_sequence ${row.last_sequence}, ${row.n} entries from ${row.lo} to ${row.hi}`);
    }
    const repeated = await db.query<{ idempotency_key: string; n: number }>('SELECT idempotency_key, count(*)::int AS n FROM context_entries WHERE idempotency_key IS NOT NULL GROUP BY session_id, idempotency_key HAVING count(*) > 1');
    for (const row of repeated.rows) problems.push(`idempotency key ${row.idempotency_key} stored ${row.n} times in one session`);
    const sessions = await db.query<{ session_key: string }>('SELECT session_key FROM sessions WHERE session_key = ANY($1)', [[...acks.sessions]]);
    if (sessions.rows.length !== acks.sessions.size) problems.push(`${acks.sessions.size} sessions acknowledged, ${sessions.rows.length} stored`);
    const handoffs = await db.query<{ id: string }>('SELECT id::text AS id FROM handoffs WHERE id = ANY($1::uuid[])', [[...acks.handoffs]]);
    if (handoffs.rows.length !== acks.handoffs.size) problems.push(`${acks.handoffs.size} handoffs acknowledged, ${handoffs.rows.length} stored`);
  } finally {
    await db.end();
  }
  return problems;
}

function describe(call: FuzzCall): string {
  const text = call.kind === 'tool' ? `${call.name} ${safeJson(call.args)}` : call.kind === 'resource' ? call.uri : call.kind === 'complete' ? `${call.template} ${call.argument}=${call.value}` : call.kind === 'rest' ? call.path : call.body;
  return `${call.kind} ${text.length > 300 ? `${text.slice(0, 300)}... (${text.length} characters)` : text}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '(not serialisable)';
  }
}
