import { randomBytes } from 'node:crypto';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';

import { McpServerFactory } from 'src/mcp/mcp-server.factory.js';
import { expandScopes } from 'src/platform/access/scopes.js';
import type { Principal } from 'src/platform/access/principal.js';
import { AuditTrail } from 'src/platform/audit/audit-trail.js';
import { AuditService } from 'src/features/audit/audit.service.js';
import { registerSession } from 'test/factories/session.factory.js';
import { startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { controlClock } from 'test/support/test-clock.js';
import { callError, callOk, readJson } from 'test/support/tool-calls.js';

interface AuditEventView {
  id: string;
  at: string;
  namespace: string | null;
  action: string;
  outcome: string;
  credentialId: string | null;
  agentId: string | null;
  target: string | null;
  source: string | null;
  detail: Record<string, unknown> | null;
}

interface AuditPageView {
  events: AuditEventView[];
  nextCursor: string | null;
  nextUri?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const RETENTION_DAYS = 30;

let baton: RunningHttpBaton;
const clients: Client[] = [];

beforeAll(async () => {
  baton = await startHttpBaton({ BATON_AUDIT_RETENTION_DAYS: String(RETENTION_DAYS), BATON_WORKERS_IN_SERVE: 'false' });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await baton.close();
});

function namespace(label: string): string {
  return `audit-${label}-${randomBytes(4).toString('hex')}`;
}

function principal(credentialId: string, ns: string, grants: string[], agents: Principal['agents'] = 'any'): Principal {
  return { kind: 'oauth', credentialId, namespace: ns, agents, scopes: expandScopes(grants) };
}

// An MCP client whose requests reach Baton as this principal, from this address.
async function connectAs(who: Principal, source: string): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await baton.app.get(McpServerFactory).create({ principal: who, source }).connect(serverSide);
  const client = await connectMcpClient(clientSide, who.credentialId);
  clients.push(client);
  return client;
}

function readAudit(client: Client, query = ''): Promise<AuditPageView> {
  return readJson<AuditPageView>(client, `handoff://audit${query}`);
}

describe('audit trail of handoffs and operator actions', () => {
  it('records request, accept and complete as exactly three events with the agent and credential behind each', async () => {
    const ns = namespace('flow');
    const owner = await connectAs(principal('oauth:owner', ns, ['agent'], ['claude@a']), '10.0.0.1');
    const target = await connectAs(principal('oauth:target', ns, ['agent'], ['codex@a']), '10.0.0.2');
    const auditor = await connectAs(principal('oauth:auditor', ns, ['operator']), '10.0.0.3');
    const key = await registerSession(owner, { agentId: 'claude@a' });

    const { handoffId } = await callOk<{ handoffId: string }>(owner, 'request_handoff', { sessionKey: key, targetAgent: 'codex@a', type: 'full_handoff' });
    await callOk(target, 'accept_handoff', { handoffId, agentId: 'codex@a' });
    // A retried accept answers as the first did and is no second transition.
    await callOk(target, 'accept_handoff', { handoffId, agentId: 'codex@a' });
    await callOk(target, 'complete_handoff', { handoffId, agentId: 'codex@a', outcome: 'done' });

    const { events, nextCursor } = await readAudit(auditor, '?action=handoff.*');
    expect(nextCursor).toBeNull();
    expect(events.map((e) => [e.action, e.outcome, e.namespace, e.credentialId, e.agentId, e.source, e.target])).toEqual([
      ['handoff.completed', 'success', ns, 'oauth:target', 'codex@a', '10.0.0.2', handoffId],
      ['handoff.accepted', 'success', ns, 'oauth:target', 'codex@a', '10.0.0.2', handoffId],
      ['handoff.requested', 'success', ns, 'oauth:owner', 'claude@a', '10.0.0.1', handoffId],
    ]);
    expect(events[2]?.detail).toEqual({ sessionKey: key, type: 'full_handoff', fromAgent: 'claude@a', targetAgent: 'codex@a' });
    // The same trail through the tool, and a page at a time, newest first.
    const first = await callOk<AuditPageView>(auditor, 'list_audit_events', { action: 'handoff.*', limit: 2 });
    expect(first.events.map((e) => e.action)).toEqual(['handoff.completed', 'handoff.accepted']);
    const rest = await callOk<AuditPageView>(auditor, 'list_audit_events', { action: 'handoff.*', limit: 2, cursor: first.nextCursor });
    expect(rest).toMatchObject({ events: [{ action: 'handoff.requested' }], nextCursor: null });
  });

  it('records a legal hold placed and lifted as two events, a sweep and a retry as one each', async () => {
    const ns = namespace('hold');
    const operator = await connectAs(principal('oauth:operator', ns, ['operator']), '10.0.1.1');
    const key = await registerSession(operator);
    await callOk(operator, 'set_legal_hold', { sessionKey: key, hold: true, reason: 'case 114' });
    // Asking again for what is already so changes nothing and records nothing.
    await callOk(operator, 'set_legal_hold', { sessionKey: key, hold: true, reason: 'case 114' });
    await callOk(operator, 'set_legal_hold', { sessionKey: key, hold: false, reason: 'case closed' });
    const sweep = await callOk<{ jobId: string; state: string }>(operator, 'run_lifecycle_sweep', { waitSeconds: 0 });
    await callOk(operator, 'retry_failed_jobs', {});

    const { events } = await readAudit(operator);
    expect(events.map((e) => [e.action, e.credentialId, e.source, e.target, e.detail])).toEqual([
      ['jobs.retried', 'oauth:operator', '10.0.1.1', 'lifecycle:all-failed', { queue: 'lifecycle', retried: expect.any(Number) }],
      ['lifecycle.sweep_run', 'oauth:operator', '10.0.1.1', sweep.jobId, expect.objectContaining({ state: sweep.state })],
      ['legal_hold.lifted', 'oauth:operator', '10.0.1.1', key, { reason: 'case closed' }],
      ['legal_hold.set', 'oauth:operator', '10.0.1.1', key, { reason: 'case 114' }],
    ]);
    expect((await readAudit(operator, '?action=legal_hold.*')).events).toHaveLength(2);
  });
});

describe('who reads the audit trail', () => {
  let a: string;
  let b: string;
  let since: string;

  beforeAll(async () => {
    since = new Date(Date.now() - 1000).toISOString();
    a = namespace('a');
    b = namespace('b');
    const operatorA = await connectAs(principal('oauth:op-a', a, ['operator']), '10.0.2.1');
    const operatorB = await connectAs(principal('oauth:op-b', b, ['operator']), '10.0.2.2');
    for (const [client, holds] of [[operatorA, 2], [operatorB, 1]] as const) {
      for (let i = 0; i < holds; i++) await callOk(client, 'set_legal_hold', { sessionKey: await registerSession(client), hold: true, reason: 'review' });
    }
  });

  it('refuses a caller without audit:read, and hides the resource and the tool from it', async () => {
    const agent = await connectAs(principal('oauth:agent', a, ['agent']), '10.0.2.3');
    await expect(readAudit(agent)).rejects.toMatchObject({ code: -32600, data: { code: 'INSUFFICIENT_SCOPE', requiredScope: 'audit:read' } });
    expect((await agent.listResources()).resources.map((r) => r.uri)).not.toContain('handoff://audit');
    expect((await agent.listTools()).tools.map((t) => t.name)).not.toContain('list_audit_events');
    expect(await callError(agent, 'list_audit_events', {})).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
  });

  it('shows a namespace-B caller none of namespace A, and refuses to name A', async () => {
    const operatorB = await connectAs(principal('oauth:op-b2', b, ['operator']), '10.0.2.4');
    const { events } = await readAudit(operatorB, '?limit=1000');
    expect(events.filter((e) => e.namespace !== b)).toHaveLength(0);
    expect(events.map((e) => e.action)).toEqual(['legal_hold.set']);
    expect(await callError(operatorB, 'list_audit_events', { namespace: a })).toMatchObject({ code: 'INSUFFICIENT_SCOPE', message: expect.stringContaining('admin') });
  });

  it('shows an admin both namespaces, one at a time or together', async () => {
    const admin = await connectAs(principal('oauth:admin', 'elsewhere', ['admin']), '10.0.2.5');
    const inA = await callOk<AuditPageView>(admin, 'list_audit_events', { namespace: a });
    // Newest first: the two refusals of the agent without audit:read, then the holds.
    expect(inA.events.map((e) => [e.namespace, e.action])).toEqual([
      [a, 'access.denied'],
      [a, 'access.denied'],
      [a, 'legal_hold.set'],
      [a, 'legal_hold.set'],
    ]);
    const inB = await callOk<AuditPageView>(admin, 'list_audit_events', { namespace: b });
    // B's operator asking for A's trail was refused, and that is B's event.
    expect(inB.events.map((e) => [e.namespace, e.action])).toEqual([
      [b, 'access.denied'],
      [b, 'legal_hold.set'],
    ]);
    const all = await readAudit(admin, `?action=legal_hold.set&since=${since}&limit=1000`);
    expect(all.events.filter((e) => e.namespace === a || e.namespace === b)).toHaveLength(3);
  });

  it('says what is wrong with a bad filter or cursor', async () => {
    const operatorA = await connectAs(principal('oauth:op-a2', a, ['operator']), '10.0.2.6');
    for (const [query, says] of [
      ['?since=yesterday', 'ISO 8601'],
      ['?since=0000-01-01', 'ISO 8601'],
      ['?cursor=forged', 'nextCursor of a previous page'],
      ['?action=DROP%20TABLE', 'prefix ending in *'],
      ['?limit=0', 'out of range'],
      ['?limit=ten', 'whole number'],
    ] as const) {
      await expect(readAudit(operatorA, query)).rejects.toMatchObject({ code: -32602, message: expect.stringContaining(says) });
    }
  });

  it('pages with nextUri, keeping the filter', async () => {
    const operatorA = await connectAs(principal('oauth:op-a3', a, ['operator']), '10.0.2.7');
    const first = await readAudit(operatorA, '?action=legal_hold.set&limit=1');
    expect(first.events).toHaveLength(1);
    expect(first.nextUri).toMatch(/^handoff:\/\/audit\?action=legal_hold.set&limit=1&cursor=/);
    const second = await readAudit(operatorA, (first.nextUri as string).slice('handoff://audit'.length));
    expect(second.events).toHaveLength(1);
    expect(second.events[0]?.id).not.toBe(first.events[0]?.id);
    expect(second.nextCursor).toBeNull();
  });
});

describe('retention', () => {
  it(`deletes exactly the events older than BATON_AUDIT_RETENTION_DAYS (${RETENTION_DAYS})`, async () => {
    const ns = namespace('retention');
    const trail = baton.app.get(AuditTrail);
    const clock = controlClock(baton.app);
    const ages = [RETENTION_DAYS + 5, RETENTION_DAYS + 1, RETENTION_DAYS - 1, 0];
    for (const days of ages) {
      clock.advance(-days * DAY_MS);
      await trail.record({ action: 'retention.probe', outcome: 'success', namespace: ns, target: `${days}d` });
      clock.advance(days * DAY_MS);
    }
    const admin = await connectAs(principal('oauth:admin', 'elsewhere', ['admin']), '10.0.3.1');
    const targets = async () => (await callOk<AuditPageView>(admin, 'list_audit_events', { namespace: ns })).events.map((e) => e.target);
    expect(await targets()).toEqual(['0d', `${RETENTION_DAYS - 1}d`, `${RETENTION_DAYS + 1}d`, `${RETENTION_DAYS + 5}d`]);

    // Workers are off here, so no sweep of this app purged them first.
    expect(await baton.app.get(AuditService).purgeExpired()).toBeGreaterThanOrEqual(2);
    expect(await targets()).toEqual(['0d', `${RETENTION_DAYS - 1}d`]);
  });
});
