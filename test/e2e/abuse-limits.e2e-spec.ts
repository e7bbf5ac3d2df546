import { randomUUID } from 'node:crypto';

import { jest } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { createHttpApplication } from 'src/bootstrap.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';
import { freePort, startLocalIssuer, type LocalIssuer } from 'test/support/local-issuer.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { testConfig } from 'test/support/test-config.js';
import { callError, callOk } from 'test/support/tool-calls.js';

const ALLOWED_ORIGIN = 'https://console.example';
const IN_FLIGHT_CAP = 4;
const SESSION_CAP = 2;
const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

let issuer: LocalIssuer;
let app: NestExpressApplication;
let base: string;
let resource: string;

beforeAll(async () => {
  issuer = await startLocalIssuer();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  resource = `${base}/mcp`;
  app = await createHttpApplication(
    testConfig({
      BATON_AUTH_ISSUER: issuer.url,
      BATON_AUTH_RESOURCE: resource,
      BATON_ALLOWED_ORIGINS: ALLOWED_ORIGIN,
      BATON_RATE_LIMITS: 'agent=5/60',
      BATON_HTTP_RATE_LIMITS: 'reader=3/60,agent=1000/60',
      BATON_MAX_IN_FLIGHT_PER_CREDENTIAL: String(IN_FLIGHT_CAP),
      BATON_MAX_MCP_SESSIONS_PER_CREDENTIAL: String(SESSION_CAP),
    }),
  );
  await app.listen(port, '127.0.0.1');
});

afterAll(async () => {
  await app?.close();
  await issuer?.close();
});

// A credential of its own per test: buckets and caps are per credential. A
// token acts as its subject.
async function credential(role: 'agent' | 'reader'): Promise<{ authorization: string; agentId: string }> {
  const agentId = `${role}-${randomUUID()}`;
  return { authorization: `Bearer ${await issuer.token({ audience: resource, subject: agentId, scope: role })}`, agentId };
}

async function bearer(role: 'agent' | 'reader'): Promise<string> {
  return (await credential(role)).authorization;
}

async function mcpClient(authorization: string): Promise<Client> {
  return connectMcpClient(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { authorization } } }), 'limits-client');
}

function initialize(authorization: string): Promise<Response> {
  return fetch(resource, { method: 'POST', headers: { ...MCP_HEADERS, authorization }, body: JSON.stringify(INITIALIZE) });
}

describe('rate limits over HTTP', () => {
  it('lets exactly 5 tool calls of an agent through, answers the 6th RATE_LIMITED with the wait, and leaves another agent\'s bucket alone', async () => {
    const { authorization, agentId } = await credential('agent');
    const client = await mcpClient(authorization);
    const sessionKey = `limits-${randomUUID()}`;
    await callOk(client, 'register_session', { sessionKey, agentId });
    for (let i = 0; i < 4; i++) await callOk(client, 'get_context', { sessionKey });
    const limited = await callError(client, 'get_context', { sessionKey });
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.message).toMatch(/calling tools is limited to 5 per 60 s for this credential\. Wait \d+ s before the next call/);
    const details = (await client.callTool({ name: 'get_context', arguments: { sessionKey } })).structuredContent as { error: { details: { retryAfterSeconds: number } } };
    expect(details.error.details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(details.error.details.retryAfterSeconds).toBeLessThanOrEqual(60);
    await client.close();

    const other = await mcpClient(await bearer('agent'));
    expect(await callOk(other, 'list_sessions', {})).toHaveProperty('sessions');
    await other.close();
  });

  it('answers exactly the 4th HTTP request of a reader (3 per window) with 429 and Retry-After, on /api and /mcp', async () => {
    const reader = await bearer('reader');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${base}/api/sessions`, { headers: { authorization: reader } })).status);
    const refused = await fetch(`${base}/api/sessions`, { headers: { authorization: reader } });
    expect(statuses).toEqual([200, 200, 200]);
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining(`Wait ${wait} s`), details: { retryAfterSeconds: wait, limit: '3 per 60 s' } } });

    const overMcp = await initialize(reader);
    expect(overMcp.status).toBe(429);
    expect(overMcp.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await overMcp.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, data: { code: 'RATE_LIMITED' } }, id: null });
  });
});

describe('concurrency caps', () => {
  it(`answers exactly one of ${IN_FLIGHT_CAP + 1} concurrent slow requests of one credential with a quick 503, and serves the rest`, async () => {
    const sessions = app.get(SessionsService);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const list = sessions.list.bind(sessions);
    const slow = jest.spyOn(sessions, 'list').mockImplementation(async (...args) => {
      await gate;
      return list(...args);
    });
    try {
      const agent = await bearer('agent');
      const started = Date.now();
      const requests = Array.from({ length: IN_FLIGHT_CAP + 1 }, () => fetch(`${base}/api/sessions`, { headers: { authorization: agent } }));
      const first = await Promise.race(requests);
      expect(first.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(first.headers.get('retry-after')).toBe('1');
      expect(((await first.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'OVERLOADED', message: expect.stringContaining(`already has ${IN_FLIGHT_CAP} requests in progress`) });
      release();
      const statuses = (await Promise.all(requests)).map((r) => r.status).sort();
      expect(statuses).toEqual([...Array<number>(IN_FLIGHT_CAP).fill(200), 503]);
      // Finished requests no longer count.
      expect((await fetch(`${base}/api/sessions`, { headers: { authorization: agent } })).status).toBe(200);
    } finally {
      release();
      slow.mockRestore();
    }
  });

  it(`refuses an initialize beyond ${SESSION_CAP} open MCP sessions of one credential, and accepts one again once a session is closed`, async () => {
    const agent = await bearer('agent');
    const opened = [await initialize(agent), await initialize(agent)];
    expect(opened.map((r) => r.status)).toEqual([200, 200]);
    const refused = await initialize(agent);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: -32000, message: expect.stringContaining(`already holds ${SESSION_CAP} open MCP sessions`), data: { code: 'TOO_MANY_SESSIONS', openSessions: SESSION_CAP } } });
    expect((await initialize(await bearer('agent'))).status).toBe(200);

    const sessionId = opened[0]?.headers.get('mcp-session-id') as string;
    const closed = await fetch(resource, { method: 'DELETE', headers: { authorization: agent, 'mcp-session-id': sessionId } });
    expect(closed.status).toBe(200);
    expect((await initialize(agent)).status).toBe(200);
  });
});

describe('security headers and CORS', () => {
  it('sets the security headers on every response: JSON, challenge and unknown path', async () => {
    for (const response of [await fetch(`${base}/health/live`), await fetch(`${base}/api/sessions`), await fetch(`${base}/nowhere`)]) {
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('answers a preflight of an allowed origin with the methods and headers MCP needs, before authentication', async () => {
    const preflight = await fetch(resource, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST,DELETE');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(['authorization', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id']);
    expect(preflight.headers.get('vary')).toMatch(/Origin/);
  });

  it('lets an allowed page read the session id and the challenge', async () => {
    const challenged = await fetch(resource, { method: 'POST', headers: { ...MCP_HEADERS, origin: ALLOWED_ORIGIN }, body: JSON.stringify(INITIALIZE) });
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(challenged.headers.get('access-control-expose-headers')?.split(',')).toEqual(['Mcp-Session-Id', 'WWW-Authenticate', 'Retry-After']);

    const opened = await fetch(resource, { method: 'POST', headers: { ...MCP_HEADERS, origin: ALLOWED_ORIGIN, authorization: await bearer('agent') }, body: JSON.stringify(INITIALIZE) });
    expect(opened.status).toBe(200);
    expect(opened.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(opened.headers.get('mcp-session-id')).toBeTruthy();
  });

  it('keeps the 403 for any other origin, preflight included, without CORS headers', async () => {
    for (const method of ['OPTIONS', 'POST']) {
      const response = await fetch(resource, { method, headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } });
      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
