import { randomUUID } from 'node:crypto';

import { jest } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SignJWT } from 'jose';

import { McpRegistry } from 'src/mcp/mcp-registry.js';
import { displayTemplate } from 'src/mcp/mcp-server.factory.js';
import { AuditTrail, type AuditRecord } from 'src/platform/audit/audit-trail.js';
import { startProtectedHttpBaton, type ProtectedHttpBaton } from 'test/support/baton-app.js';
import type { LocalIssuer } from 'test/support/local-issuer.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { watchUpdates } from 'test/support/notifications.js';
import { callError, callOk, callTool, readJson } from 'test/support/tool-calls.js';

// A refusal as a tool error or a resource error carries it: its code and details.
async function refusalOf(attempt: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    const { code, details } = (await attempt) as { code?: string; details?: object };
    return code !== undefined ? { ...details, code } : { code: 'ANSWERED' };
  } catch (failure) {
    return (failure as { data?: Record<string, unknown> }).data ?? { code: 'OTHER' };
  }
}

// Two tenants on one Baton: namespace A with agents alice and amir (and
// cara, who is in none of their handoffs), namespace B with bob. B's
// credential also claims the names alice and amir: agent ids are names
// within a namespace, so only the namespace keeps B out of A.
const RUN = randomUUID().slice(0, 8);
const NS_A = `iso-a-${RUN}`;
const NS_B = `iso-b-${RUN}`;
const ALICE = `alice-${RUN}`;
const AMIR = `amir-${RUN}`;
const CARA = `cara-${RUN}`;
const BOB = `bob-${RUN}`;

interface Seeded {
  mainKey: string;
  secondKey: string;
  // Registered in A, then by B in its own namespace.
  sharedKey: string;
  // alice -> amir, and amir -> alice.
  toAmir: string;
  toAlice: string;
}

const a: Seeded = { mainKey: `${RUN}-a-main`, secondKey: `${RUN}-a-second`, sharedKey: `${RUN}-shared`, toAmir: '', toAlice: '' };
const SECRET = `A-only-decision-${RUN}`;
const TITLE = `A-only-title-${RUN}`;

let baton: ProtectedHttpBaton;
let issuer: LocalIssuer;
let app: NestExpressApplication;
let base: string;
let resource: string;
const clients: Client[] = [];
const tokens: Record<'alice' | 'amir' | 'cara' | 'bob' | 'reader' | 'admin', string> = { alice: '', amir: '', cara: '', bob: '', reader: '', admin: '' };
let alice: Client;
let amir: Client;
let cara: Client;
let bob: Client;
let admin: Client;

function sign(namespace: string, agents: string[], scope: string): Promise<string> {
  return new SignJWT({ scope, baton_namespace: namespace, baton_agents: agents })
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
    .setIssuer(issuer.url)
    .setAudience(resource)
    .setSubject(agents[0] ?? 'nobody')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(issuer.privateKey);
}

async function connectAs(token: string, name: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = await connectMcpClient(transport, name);
  clients.push(client);
  return client;
}

// What identifies A's data. B may see a string it sent itself (an error
// echoing the key it asked for), never one it did not.
function markersOfA(): string[] {
  return [NS_A, a.mainKey, a.secondKey, a.toAmir, a.toAlice, SECRET, TITLE];
}

function expectNothingOfA(answer: unknown, sent: unknown): void {
  const text = JSON.stringify(answer);
  const asked = JSON.stringify(sent);
  const leaked = markersOfA().filter((marker) => !asked.includes(marker) && text.includes(marker));
  expect(leaked).toEqual([]);
}

// A resource read as B sees it: the body, or the JSON-RPC error.
async function readAs(client: Client, uri: string): Promise<unknown> {
  try {
    return { body: await readJson(client, uri) };
  } catch (error) {
    const { code, message, data } = error as { code?: number; message: string; data?: unknown };
    return { error: { code, message, data } };
  }
}

beforeAll(async () => {
  baton = await startProtectedHttpBaton();
  ({ issuer, app, base, resource } = baton);

  tokens.alice = await sign(NS_A, [ALICE], 'agent');
  tokens.amir = await sign(NS_A, [AMIR], 'agent');
  tokens.cara = await sign(NS_A, [CARA], 'agent');
  tokens.bob = await sign(NS_B, [BOB, ALICE, AMIR], 'operator');
  tokens.reader = await sign(NS_A, [ALICE], 'reader');
  tokens.admin = await sign(`iso-admin-${RUN}`, ['admin'], 'admin');
  alice = await connectAs(tokens.alice, 'alice');
  amir = await connectAs(tokens.amir, 'amir');
  cara = await connectAs(tokens.cara, 'cara');
  bob = await connectAs(tokens.bob, 'bob');
  admin = await connectAs(tokens.admin, 'admin');

  await callOk(alice, 'register_session', { sessionKey: a.mainKey, agentId: ALICE, title: TITLE });
  await callOk(alice, 'update_context', { sessionKey: a.mainKey, type: 'decision', content: SECRET, agentId: ALICE });
  await callOk(alice, 'register_session', { sessionKey: a.sharedKey, agentId: ALICE });
  await callOk(amir, 'register_session', { sessionKey: a.secondKey, agentId: AMIR });
  a.toAmir = (await callOk<{ handoffId: string }>(alice, 'request_handoff', { sessionKey: a.mainKey, targetAgent: AMIR, type: 'context_transfer' })).handoffId;
  a.toAlice = (await callOk<{ handoffId: string }>(amir, 'request_handoff', { sessionKey: a.secondKey, targetAgent: ALICE, type: 'context_transfer' })).handoffId;
  await callOk(bob, 'register_session', { sessionKey: `${RUN}-b-own`, agentId: BOB });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await baton?.close();
});

// What B tries with A's keys and ids, per tool. A tool without a row fails
// the coverage test below.
const CROSS_NAMESPACE_CALLS: Record<string, () => Record<string, unknown>> = {
  register_session: () => ({ sessionKey: a.sharedKey, agentId: BOB }),
  update_context: () => ({ sessionKey: a.mainKey, type: 'note', content: 'written by B', agentId: ALICE }),
  get_context: () => ({ sessionKey: a.mainKey }),
  list_sessions: () => ({}),
  request_handoff: () => ({ sessionKey: a.mainKey, targetAgent: BOB, type: 'full_handoff' }),
  accept_handoff: () => ({ handoffId: a.toAmir, agentId: AMIR }),
  reject_handoff: () => ({ handoffId: a.toAlice, agentId: ALICE, reason: 'B declines' }),
  complete_handoff: () => ({ handoffId: a.toAmir, agentId: AMIR }),
  list_handoffs: () => ({ agentId: AMIR }),
  analyze_codebase: () => ({ sessionKey: a.mainKey, root: process.cwd(), analysisType: 'structure' }),
  get_analysis_status: () => ({ sessionKey: a.mainKey }),
  cancel_analysis: () => ({ sessionKey: a.mainKey, analysisId: randomUUID() }),
  get_lifecycle_status: () => ({}),
  run_lifecycle_sweep: () => ({ waitSeconds: 0 }),
  retry_failed_jobs: () => ({}),
  set_legal_hold: () => ({ sessionKey: a.mainKey, hold: true, reason: 'B holds' }),
  list_audit_events: () => ({}),
};

// What B reads with A's keys and ids, per resource (plain or template).
const CROSS_NAMESPACE_READS: Record<string, () => string> = {
  'handoff://sessions{?cursor}': () => 'handoff://sessions',
  'handoff://sessions/{sessionKey}': () => `handoff://sessions/${a.mainKey}`,
  'handoff://sessions/{sessionKey}/context{?afterSequence,limit}': () => `handoff://sessions/${a.mainKey}/context`,
  'handoff://sessions/{sessionKey}/summary{?tokenBudget}': () => `handoff://sessions/${a.mainKey}/summary`,
  'handoff://sessions/{sessionKey}/analyses/latest{?file,cursor,limit}': () => `handoff://sessions/${a.mainKey}/analyses/latest`,
  'handoff://sessions/{sessionKey}/analyses/{analysisId}{?file,cursor,limit}': () => `handoff://sessions/${a.mainKey}/analyses/${randomUUID()}`,
  'handoff://agents/{agentId}/handoffs{?status,cursor}': () => `handoff://agents/${AMIR}/handoffs`,
  'handoff://handoffs/{handoffId}': () => `handoff://handoffs/${a.toAmir}`,
  'handoff://lifecycle{?namespace}': () => 'handoff://lifecycle',
  'handoff://cache{?namespace}': () => 'handoff://cache',
  'handoff://audit{?cursor,action,since,limit}': () => 'handoff://audit',
};

const REST_READS: Record<string, () => string> = {
  '/api/sessions': () => '/api/sessions',
  '/api/sessions/:sessionKey': () => `/api/sessions/${a.mainKey}`,
  '/api/sessions/:sessionKey/context': () => `/api/sessions/${a.mainKey}/context`,
};

async function contentsOf(client: Client, sessionKey: string): Promise<string[]> {
  return (await callOk<{ entries: { content: string }[] }>(client, 'get_context', { sessionKey })).entries.map((entry) => entry.content);
}

function resourceTemplates(): string[] {
  return app.get(McpRegistry).resources.map(displayTemplate);
}

describe('namespace isolation: a caller of B gets nothing of A', () => {
  it('has a row for every tool an admin sees, every resource and every REST route', async () => {
    const { tools } = await admin.listTools();
    expect(Object.keys(CROSS_NAMESPACE_CALLS).sort()).toEqual(tools.map((tool) => tool.name).sort());
    expect(Object.keys(CROSS_NAMESPACE_READS).sort()).toEqual(resourceTemplates().sort());
    const router = (app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: string } }[] } }).router;
    const apiRoutes = router.stack.flatMap((layer) => (layer.route?.path.startsWith('/api/') ? [layer.route.path] : []));
    expect(Object.keys(REST_READS).sort()).toEqual([...new Set(apiRoutes)].sort());
  });

  it.each(Object.keys(CROSS_NAMESPACE_CALLS))('%s called by B with A\'s keys and ids answers nothing of A', async (name) => {
    const args = (CROSS_NAMESPACE_CALLS[name] as () => Record<string, unknown>)();
    const outcome = await callTool(bob, name, args);
    expectNothingOfA(outcome, args);
  });

  it.each(Object.keys(CROSS_NAMESPACE_READS))('%s read by B answers nothing of A', async (template) => {
    const uri = (CROSS_NAMESPACE_READS[template] as () => string)();
    expectNothingOfA(await readAs(bob, uri), uri);
  });

  it.each(Object.keys(CROSS_NAMESPACE_READS).flatMap((template) => [...template.matchAll(/\{(\w+)\}/g)].map((match) => [template, match[1] as string])))(
    'completion of %s {%s} offers B nothing of A',
    async (template, variable) => {
      for (const value of ['', RUN, `${RUN}-a`]) {
        const answer = await bob.complete({ ref: { type: 'ref/resource', uri: template }, argument: { name: variable, value } }).catch((error: Error) => ({ error: error.message }));
        expectNothingOfA(answer, value);
      }
    },
  );

  it.each(Object.keys(REST_READS))('GET %s by B answers nothing of A', async (route) => {
    const path = (REST_READS[route] as () => string)();
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${tokens.bob}` } });
    expect([200, 404]).toContain(response.status);
    expectNothingOfA(await response.text(), path);
  });

  it('left A as it was: no entry, handoff move, owner change or legal hold from B', async () => {
    expect(await contentsOf(alice, a.mainKey)).toEqual([SECRET]);
    expect((await readJson<{ handoff: { status: string } }>(amir, `handoff://handoffs/${a.toAmir}`)).handoff.status).toBe('pending');
    expect((await readJson<{ handoff: { status: string } }>(alice, `handoff://handoffs/${a.toAlice}`)).handoff.status).toBe('pending');
    const shared = await readJson<{ session: { agentId: string } }>(alice, `handoff://sessions/${a.sharedKey}`);
    expect(shared.session.agentId).toBe(ALICE);
    const main = await readJson<{ session: { legalHold: boolean; agentId: string } }>(alice, `handoff://sessions/${a.mainKey}`);
    expect(main.session).toMatchObject({ legalHold: false, agentId: ALICE });
  });
});

describe('subscriptions', () => {
  it('tell a subscriber of B nothing of A\'s changes, while A\'s own subscribers hear them', async () => {
    const bobUpdates = watchUpdates(bob);
    let bobListChanges = 0;
    bob.setNotificationHandler(ResourceListChangedNotificationSchema, () => void bobListChanges++);
    for (const uri of ['handoff://sessions', `handoff://agents/${AMIR}/handoffs`, `handoff://agents/${ALICE}/handoffs`, 'handoff://lifecycle']) await bob.subscribeResource({ uri });
    await expect(bob.subscribeResource({ uri: `handoff://sessions/${a.mainKey}/context` })).rejects.toMatchObject({ code: -32002 });
    await expect(bob.subscribeResource({ uri: `handoff://handoffs/${a.toAmir}` })).rejects.toMatchObject({ code: -32002 });

    const amirInbox = watchUpdates(amir);
    await amir.subscribeResource({ uri: `handoff://agents/${AMIR}/handoffs` });
    const aliceContext = watchUpdates(alice);
    await alice.subscribeResource({ uri: `handoff://sessions/${a.mainKey}/context` });
    const heard = Promise.all([amirInbox.next(`handoff://agents/${AMIR}/handoffs`), aliceContext.next(`handoff://sessions/${a.mainKey}/context`)]);

    await callOk(alice, 'update_context', { sessionKey: a.mainKey, type: 'note', content: 'a second entry', agentId: ALICE });
    await callOk(alice, 'register_session', { sessionKey: `${RUN}-a-third`, agentId: ALICE });
    await callOk(alice, 'request_handoff', { sessionKey: `${RUN}-a-third`, targetAgent: AMIR, type: 'context_transfer' });
    await heard;
    // Past the hub's coalescing delay: anything meant for B would be here by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bobUpdates.uris).toEqual([]);
    expect(bobListChanges).toBe(0);
  });

  it('refuse an agent a subscription to another agent\'s inbox', async () => {
    await expect(amir.subscribeResource({ uri: `handoff://agents/${ALICE}/handoffs` })).rejects.toMatchObject({ code: -32600, data: { code: 'AGENT_NOT_ALLOWED' } });
  });
});

// The refusals recorded in the audit trail since the last call.
function auditedSince(): () => AuditRecord[] {
  const record = jest.spyOn(app.get(AuditTrail), 'record');
  const before = record.mock.calls.length;
  return () => record.mock.calls.slice(before).map(([entry]) => entry).filter((entry) => entry.action === 'access.denied');
}

describe('agent identity: amir cannot act as alice', () => {
  let refusals: () => AuditRecord[];
  beforeAll(() => {
    refusals = auditedSince();
  });

  const attempts: [string, () => Promise<{ code: string }>][] = [
    ['append as alice', () => callError(amir, 'update_context', { sessionKey: a.mainKey, type: 'note', content: 'as alice', agentId: ALICE })],
    ['register a session as alice', () => callError(amir, 'register_session', { sessionKey: `${RUN}-a-forged`, agentId: ALICE })],
    ['accept a handoff addressed to alice', () => callError(amir, 'accept_handoff', { handoffId: a.toAlice, agentId: ALICE })],
    ['reject a handoff addressed to alice', () => callError(amir, 'reject_handoff', { handoffId: a.toAlice, agentId: ALICE, reason: 'not hers to keep' })],
    ['complete a handoff addressed to alice', () => callError(amir, 'complete_handoff', { handoffId: a.toAlice, agentId: ALICE })],
    ['list alice\'s inbox', () => callError(amir, 'list_handoffs', { agentId: ALICE })],
    ['request a handoff of alice\'s session', () => callError(amir, 'request_handoff', { sessionKey: a.mainKey, targetAgent: AMIR, type: 'full_handoff' })],
    ['read alice\'s inbox', () => amir.readResource({ uri: `handoff://agents/${ALICE}/handoffs` }).then(() => ({ code: 'READ' }), (error: { data?: { code: string } }) => ({ code: error.data?.code ?? 'OTHER' }))],
  ];

  it.each(attempts)('refuses to %s with AGENT_NOT_ALLOWED', async (_what, attempt) => {
    expect((await attempt()).code).toBe('AGENT_NOT_ALLOWED');
  });

  it('recorded each refusal in the audit trail as access.denied, naming the agent', () => {
    const denied = refusals();
    expect(denied).toHaveLength(attempts.length);
    expect(denied.every((entry) => entry.credentialId === `oauth:${AMIR}` && entry.agentId === ALICE && entry.namespace === NS_A && entry.detail?.code === 'AGENT_NOT_ALLOWED')).toBe(true);
  });

  it('left alice\'s handoff pending, her session hers, and added nothing to it', async () => {
    expect((await readJson<{ handoff: { status: string } }>(alice, `handoff://handoffs/${a.toAlice}`)).handoff.status).toBe('pending');
    const main = await readJson<{ session: { agentId: string } }>(alice, `handoff://sessions/${a.mainKey}`);
    expect(main.session.agentId).toBe(ALICE);
    expect(await contentsOf(amir, a.mainKey)).not.toContain('as alice');
    await expect(callError(amir, 'get_context', { sessionKey: `${RUN}-a-forged` })).resolves.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('appends as the credential\'s own agent when none is named, so a session it handed away stays closed to it', async () => {
    const key = `${RUN}-a-passed-on`;
    await callOk(amir, 'register_session', { sessionKey: key, agentId: AMIR });
    await callOk(amir, 'update_context', { sessionKey: key, type: 'note', content: 'amir was here' });
    const { handoffId } = await callOk<{ handoffId: string }>(amir, 'request_handoff', { sessionKey: key, targetAgent: CARA, type: 'full_handoff' });
    await callOk(cara, 'accept_handoff', { handoffId, agentId: CARA });
    expect((await callError(amir, 'update_context', { sessionKey: key, type: 'note', content: 'still mine?' })).code).toBe('SESSION_HANDED_OFF');
    // Teammates still read each other's sessions.
    expect(await contentsOf(alice, key)).toEqual(['amir was here']);
  });

  it('completes only the inboxes the caller may read', async () => {
    const template = 'handoff://agents/{agentId}/handoffs';
    const offered = await amir.complete({ ref: { type: 'ref/resource', uri: template }, argument: { name: 'agentId', value: '' } });
    expect(offered.completion.values).toContain(AMIR);
    expect(offered.completion.values).not.toContain(ALICE);
  });

  it('shows a handoff to its two agents only: anyone else gets the not-found of a missing one', async () => {
    expect((await readJson<{ handoff: { handoffId: string } }>(alice, `handoff://handoffs/${a.toAmir}`)).handoff.handoffId).toBe(a.toAmir);
    expect((await readJson<{ handoff: { handoffId: string } }>(amir, `handoff://handoffs/${a.toAmir}`)).handoff.handoffId).toBe(a.toAmir);
    const hidden = await readAs(cara, `handoff://handoffs/${a.toAmir}`);
    const missing = await readAs(cara, `handoff://handoffs/${randomUUID()}`);
    expect(hidden).toMatchObject({ error: { code: -32002, data: { code: 'HANDOFF_NOT_FOUND' } } });
    expect((missing as { error: { code: number } }).error.code).toBe(-32002);
  });
});

describe('scopes', () => {
  it('shows a reader only read-only tools, and answers a write tool over HTTP with 403 insufficient_scope', async () => {
    const reader = await connectAs(tokens.reader, 'reader');
    const refusals = auditedSince();
    const { tools } = await reader.listTools();
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.filter((tool) => tool.annotations?.readOnlyHint !== true).map((tool) => tool.name)).toEqual([]);
    expect(tools.map((tool) => tool.name)).not.toContain('update_context');

    const response = await fetch(resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${tokens.reader}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'update_context', arguments: { sessionKey: a.mainKey, type: 'note', content: 'x' } } }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope", scope="sessions:write"');
    expect(refusals()).toEqual([expect.objectContaining({ target: 'update_context', outcome: 'denied', namespace: NS_A, detail: { code: 'INSUFFICIENT_SCOPE', requiredScope: 'sessions:write' } })]);
  });

  it('answers REST without sessions:read with 403, recorded as access.denied', async () => {
    const auditor = await sign(NS_A, [ALICE], 'audit:read');
    const refusals = auditedSince();
    const response = await fetch(`${base}/api/sessions`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(response.status).toBe(403);
    expectNothingOfA(await response.text(), '');
    expect(refusals()).toEqual([expect.objectContaining({ target: 'GET /api/sessions', namespace: NS_A, detail: { code: 'INSUFFICIENT_SCOPE', requiredScope: 'sessions:read' } })]);
  });
});

describe('lifecycle across namespaces', () => {
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);
  const sessionsOf = async (client: Client) => (await callOk<{ sessions: unknown[] }>(client, 'list_sessions', { limit: 100 })).sessions.length;

  it('shows an operator of B its own namespace only, without the Baton-wide figures', async () => {
    const status = await callOk<{ namespace: string; queue: unknown; lastCleanup: unknown; sessionsByStatus: Record<string, number> }>(bob, 'get_lifecycle_status', {});
    expect(status).toMatchObject({ namespace: NS_B, queue: null, lastCleanup: null });
    expect(total(status.sessionsByStatus)).toBe(await sessionsOf(bob));
    expect(await readJson<{ namespace: string }>(bob, 'handoff://lifecycle')).toMatchObject({ namespace: NS_B, queue: null });
  });

  it.each<[string, () => Promise<unknown>]>([
    ['get_lifecycle_status of A', () => callError(bob, 'get_lifecycle_status', { namespace: NS_A })],
    ['get_lifecycle_status of every namespace', () => callError(bob, 'get_lifecycle_status', { namespace: '*' })],
    ['set_legal_hold in A', () => callError(bob, 'set_legal_hold', { namespace: NS_A, sessionKey: a.mainKey, hold: true, reason: 'B holds' })],
    ['run_lifecycle_sweep of A', () => callError(bob, 'run_lifecycle_sweep', { namespace: NS_A, waitSeconds: 0 })],
    ['retry_failed_jobs of A', () => callError(bob, 'retry_failed_jobs', { namespace: NS_A })],
    ['handoff://lifecycle of A', () => bob.readResource({ uri: `handoff://lifecycle?namespace=${NS_A}` })],
    ['handoff://cache of A', () => bob.readResource({ uri: `handoff://cache?namespace=${NS_A}` })],
    ['list_audit_events of A', () => callError(bob, 'list_audit_events', { namespace: NS_A })],
  ])('refuses an operator of B %s, naming the admin scope', async (_what, attempt) => {
    expect(await refusalOf(attempt())).toMatchObject({ code: 'INSUFFICIENT_SCOPE', requiredScope: 'admin' });
  });

  it('lets an admin see and change A\'s lifecycle', async () => {
    const status = await callOk<{ namespace: string; sessionsByStatus: Record<string, number> }>(admin, 'get_lifecycle_status', { namespace: NS_A });
    expect(status.namespace).toBe(NS_A);
    expect(total(status.sessionsByStatus)).toBe(await sessionsOf(alice));
    expect(await callOk(admin, 'get_lifecycle_status', { namespace: '*' })).toMatchObject({ namespace: '*', queue: { workers: expect.any(Number) } });
    expect(await callOk(admin, 'set_legal_hold', { namespace: NS_A, sessionKey: a.mainKey, hold: true, reason: 'admin holds' })).toMatchObject({ legalHold: true });
    expect((await readJson<{ session: { legalHold: boolean } }>(alice, `handoff://sessions/${a.mainKey}`)).session.legalHold).toBe(true);
    await callOk(admin, 'set_legal_hold', { namespace: NS_A, sessionKey: a.mainKey, hold: false, reason: 'admin lifts' });
  });
});
