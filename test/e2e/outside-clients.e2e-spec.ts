import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { registerSession, sessionKey } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton, testSettings, type RunningHttpBaton } from 'test/support/baton-app.js';
import { copySampleProject, type CodebaseCopy } from 'test/support/codebase-fixture.js';
import { callOk } from 'test/support/tool-calls.js';

// Baton driven by clients it did not write: MCP Inspector's CLI mode and the
// official conformance suite.
const run = promisify(execFile);
const inspector = resolve('node_modules/.bin/mcp-inspector');
const conformanceDir = resolve('tools/conformance');
// The Inspector gives up on a server that has not answered initialize within
// 15 s by default; a stdio Baton starting beside others on a loaded machine may need longer.
const CONNECT_TIMEOUT_MS = '120000';

let baton: RunningHttpBaton;
let project: CodebaseCopy;

beforeAll(async () => {
  project = copySampleProject();
  baton = await startHttpBaton({ BATON_ALLOWED_ROOTS: project.root });
});

afterAll(async () => {
  await baton.close();
  project.remove();
});

function stdioServerArgs(): string[] {
  const env = Object.entries(testSettings({ BATON_ALLOWED_ROOTS: project.root })).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  return ['--cli', '--connect-timeout', CONNECT_TIMEOUT_MS, ...env, process.execPath, resolve('dist/main.js'), 'stdio'];
}

function httpServerArgs(): string[] {
  return ['--cli', '--connect-timeout', CONNECT_TIMEOUT_MS, baton.url.toString(), '--transport', 'http'];
}

interface Inspected {
  code: number;
  json: Record<string, unknown>;
  stderr: string;
}

async function inspect(args: string[]): Promise<Inspected> {
  try {
    const { stdout, stderr } = await run(inspector, args, { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, json: JSON.parse(stdout) as Record<string, unknown>, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, json: failure.stdout ? (JSON.parse(failure.stdout) as Record<string, unknown>) : {}, stderr: failure.stderr ?? '' };
  }
}

const TOOL_NAMES = [
  'register_session', 'update_context', 'get_context', 'list_sessions', 'analyze_codebase', 'get_analysis_status', 'cancel_analysis', 'request_handoff',
  'list_handoffs', 'accept_handoff', 'reject_handoff', 'complete_handoff', 'get_lifecycle_status', 'run_lifecycle_sweep', 'retry_failed_jobs', 'set_legal_hold',
  'list_audit_events',
];

interface ToolDrive {
  tool: string;
  args: Record<string, string>;
  expected: Record<string, unknown>;
}

// One successful call of every tool, each with what it needs prepared
// through the SDK client. Arguments are given the way the Inspector takes
// them: strings, converted by the listed inputSchema (JSON for objects).
async function everyToolOnce(client: Client, label: string): Promise<ToolDrive[]> {
  const agent = `${label}-agent`;
  const target = `${label}-target`;
  const work = await registerSession(client, { agentId: agent, title: 'CSV export' });
  const first = await callOk<{ sequence: number }>(client, 'update_context', { sessionKey: work, type: 'decision', content: 'Build the CSV in memory' });
  const second = await callOk<{ sequence: number }>(client, 'update_context', { sessionKey: work, type: 'decision', content: 'Stream the CSV', metadata: { refs: [first.sequence] } });
  await callOk(client, 'update_context', { sessionKey: work, type: 'todo', content: 'Escape formulas at the start of cells' });
  const { analysisId } = await callOk<{ analysisId: string }>(client, 'analyze_codebase', { sessionKey: work, root: project.root, analysisType: 'structure' });
  const offer = async () => (await callOk<{ handoffId: string }>(client, 'request_handoff', { sessionKey: work, targetAgent: target, type: 'context_transfer', tokenBudget: 1000 })).handoffId;
  const [toAccept, toReject, toComplete] = [await offer(), await offer(), await offer()];
  await callOk(client, 'accept_handoff', { handoffId: toComplete, agentId: target });
  const fresh = sessionKey(label);
  // The superseded decision is left out of every package: its range is listed.
  const leavesOut = { omitted: { ranges: expect.arrayContaining([expect.arrayContaining([first.sequence])]) } };

  return [
    { tool: 'register_session', args: { sessionKey: fresh, agentId: agent, repository: JSON.stringify({ branch: 'main', commit: 'a1b2c3d' }), tags: JSON.stringify(['inspector']) }, expected: { sessionKey: fresh, status: 'active' } },
    { tool: 'update_context', args: { sessionKey: work, type: 'decision', content: 'Stream through csv-stringify', metadata: JSON.stringify({ refs: [second.sequence] }) }, expected: { sessionKey: work, duplicate: false } },
    { tool: 'get_context', args: { sessionKey: work, limit: '2' }, expected: { entries: [{ sequence: 1 }, { sequence: 2 }], nextAfterSequence: 2 } },
    { tool: 'list_sessions', args: { agentId: agent, limit: '100' }, expected: { sessions: expect.arrayContaining([expect.objectContaining({ sessionKey: work })]) } },
    { tool: 'analyze_codebase', args: { sessionKey: work, root: project.root, analysisType: 'structure' }, expected: { status: 'completed' } },
    { tool: 'get_analysis_status', args: { sessionKey: work, analysisId }, expected: { analysisId, status: 'completed' } },
    { tool: 'cancel_analysis', args: { sessionKey: work, analysisId }, expected: { analysisId, status: 'completed' } },
    { tool: 'request_handoff', args: { sessionKey: work, targetAgent: `${label}-other`, type: 'full_handoff', tokenBudget: '1000' }, expected: { status: 'pending', package: leavesOut } },
    { tool: 'list_handoffs', args: { agentId: target }, expected: { handoffs: expect.arrayContaining([expect.objectContaining({ handoffId: toAccept })]) } },
    { tool: 'accept_handoff', args: { handoffId: toAccept, agentId: target }, expected: { status: 'accepted', package: leavesOut } },
    { tool: 'reject_handoff', args: { handoffId: toReject, agentId: target, reason: 'Not my area' }, expected: { handoffId: toReject, status: 'rejected' } },
    { tool: 'complete_handoff', args: { handoffId: toComplete, agentId: target, outcome: 'Shipped' }, expected: { handoffId: toComplete, status: 'completed' } },
    { tool: 'get_lifecycle_status', args: {}, expected: { sessionsByStatus: expect.objectContaining({ active: expect.any(Number) }) } },
    { tool: 'run_lifecycle_sweep', args: { waitSeconds: '0' }, expected: { jobId: expect.any(String) } },
    { tool: 'retry_failed_jobs', args: {}, expected: { retried: expect.any(Number) } },
    { tool: 'set_legal_hold', args: { sessionKey: work, hold: 'true', reason: 'Audit 2026-Q4' }, expected: { sessionKey: work, legalHold: true } },
    { tool: 'list_audit_events', args: { action: 'handoff.requested', limit: '3' }, expected: { events: expect.arrayContaining([expect.objectContaining({ action: 'handoff.requested' })]) } },
  ];
}

// A few Inspector processes at a time: each starts a Node client and, over
// stdio, a Baton of its own (a few seconds of CPU per call).
async function inBatches<T, R>(items: T[], size: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(each))));
  return results;
}

describe.each([
  ['stdio', () => stdioServerArgs()],
  ['Streamable HTTP', () => httpServerArgs()],
])('MCP Inspector CLI drives every tool over %s', (transport, serverArgs) => {
  let client: Client;
  let drives: ToolDrive[];
  const outcomes = new Map<string, Inspected>();

  beforeAll(async () => {
    client = await connectHttpClient(baton.url);
    drives = await everyToolOnce(client, `inspector-${transport === 'stdio' ? 'stdio' : 'http'}`);
    const results = await inBatches(drives, 4, (d) => inspect([...serverArgs(), '--method', 'tools/call', '--tool-name', d.tool, ...Object.entries(d.args).flatMap(([k, v]) => ['--tool-arg', `${k}=${v}`])]));
    drives.forEach((d, i) => outcomes.set(d.tool, results[i] as Inspected));
  }, 600_000);

  afterAll(async () => {
    await client.close();
  });

  it('covers every listed tool', async () => {
    const { tools } = await client.listTools();
    expect(drives.map((d) => d.tool).sort()).toEqual(tools.map((t) => t.name).sort());
    expect([...TOOL_NAMES].sort()).toEqual(tools.map((t) => t.name).sort());
  });

  it.each(TOOL_NAMES)('%s: the Inspector accepts the result against its outputSchema', (tool) => {
    const drive = drives.find((d) => d.tool === tool) as ToolDrive;
    const outcome = outcomes.get(tool) as Inspected;
    if (outcome.code !== 0) throw new Error(`the Inspector exited with ${outcome.code} on ${tool}: ${outcome.stderr.slice(-2000)}`);
    expect(outcome.json.isError).toBeUndefined();
    expect(outcome.json.structuredContent).toMatchObject(drive.expected);
    expect(outcome.json.content).toEqual([expect.objectContaining({ type: 'text', text: expect.any(String) })]);
  });
});

describe('MCP Inspector CLI', () => {
  it('lists and calls tools over stdio', async () => {
    const listed = await inspect([...stdioServerArgs(), '--method', 'tools/list']);
    expect((listed.json.tools as { name: string }[]).map((t) => t.name)).toEqual(expect.arrayContaining(['register_session', 'update_context', 'get_context', 'list_sessions']));

    const key = sessionKey('inspector');
    const created = await inspect([...stdioServerArgs(), '--method', 'tools/call', '--tool-name', 'register_session', '--tool-arg', `sessionKey=${key}`, '--tool-arg', 'agentId=inspector']);
    expect(created.code).toBe(0);
    expect(created.json.structuredContent).toMatchObject({ sessionKey: key, status: 'active' });

    const failed = await inspect([...stdioServerArgs(), '--method', 'tools/call', '--tool-name', 'update_context', '--tool-arg', `sessionKey=${key}`, '--tool-arg', 'type=thought', '--tool-arg', 'content=hmm']);
    expect(failed.json).toMatchObject({ isError: true, structuredContent: { error: { code: 'INVALID_ARGUMENT' } } });
  });

  it('reads resources over Streamable HTTP', async () => {
    const key = sessionKey('inspector-http');
    await inspect(['--cli', baton.url.toString(), '--transport', 'http', '--method', 'tools/call', '--tool-name', 'register_session', '--tool-arg', `sessionKey=${key}`, '--tool-arg', 'agentId=inspector']);
    const read = await inspect(['--cli', baton.url.toString(), '--transport', 'http', '--method', 'resources/read', '--uri', `handoff://sessions/${key}`]);
    const contents = read.json.contents as { text: string }[];
    expect(JSON.parse(contents[0]?.text ?? '{}')).toMatchObject({ session: { sessionKey: key, agentId: 'inspector' } });
    const templates = await inspect(['--cli', baton.url.toString(), '--transport', 'http', '--method', 'resources/templates/list']);
    expect((templates.json.resourceTemplates as unknown[]).length).toBeGreaterThanOrEqual(2);
  });
});

describe('MCP conformance suite', () => {
  const node22 = resolve(conformanceDir, 'node_modules/.bin/node');
  const suite = resolve(conformanceDir, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');

  it('passes every server scenario except the listed, explained ones', async () => {
    if (!existsSync(node22) || !existsSync(suite)) throw new Error('tools/conformance is not installed: run `npm run conformance:install` (npm test does it)');
    const { stdout } = await run(node22, [suite, 'server', '--url', baton.url.toString(), '--expected-failures', resolve(conformanceDir, 'expected-failures.yml')], { timeout: 240_000, cwd: conformanceDir, maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toContain('Baseline check passed');
    for (const scenario of ['server-initialize', 'ping', 'tools-list', 'resources-list', 'completion-complete', 'dns-rebinding-protection', 'server-sse-multiple-streams']) {
      expect(stdout).toMatch(new RegExp(`✓ ${scenario}:`));
    }
  }, 300_000);
});
