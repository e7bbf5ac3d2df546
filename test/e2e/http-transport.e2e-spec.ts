import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

let baton: RunningHttpBaton;

beforeAll(async () => {
  baton = await startHttpBaton({ BATON_ALLOWED_ORIGINS: 'https://console.example' });
});

afterAll(async () => {
  await baton.close();
});

describe('MCP Streamable HTTP transport', () => {
  it('ends an MCP session on DELETE; the old session id then gets 404', async () => {
    const transport = new StreamableHTTPClientTransport(baton.url);
    const client = await connectMcpClient(transport, 'delete-test');
    const sessionId = transport.sessionId as string;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await transport.terminateSession();
    const after = await fetch(baton.url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    expect(after.status).toBe(404);
    await client.close();
  });

  it('asks for initialize when a request comes without a session', async () => {
    const response = await fetch(baton.url, { method: 'POST', headers: HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { message: expect.stringContaining('initialize first') } });
  });

  it('rejects a foreign browser Origin and accepts an allowed one', async () => {
    const foreign = await fetch(baton.url, { method: 'POST', headers: { ...HEADERS, origin: 'https://evil.example' }, body: JSON.stringify(INITIALIZE) });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { message: expect.stringContaining('BATON_ALLOWED_ORIGINS') } });
    const allowed = await fetch(baton.url, { method: 'POST', headers: { ...HEADERS, origin: 'https://console.example' }, body: JSON.stringify(INITIALIZE) });
    expect(allowed.status).toBe(200);
  });

  it('rejects a Host header that does not name the server (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: Number(baton.url.port), path: '/mcp', method: 'POST', headers: { ...HEADERS, host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(INITIALIZE));
    });
    expect(status).toBe(403);
  });
});
