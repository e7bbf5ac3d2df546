import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { connectHttpClient } from 'test/support/baton-app.js';
import { logLines, spawnBaton, type BatonProcess } from 'test/support/baton-process.js';
import { TcpProxy } from 'test/support/tcp-proxy.js';
import { callOk } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

// Generous for a loaded CI machine.
const START_MS = 30_000;

async function status(url: string): Promise<number | undefined> {
  return fetch(url).then(
    (r) => r.status,
    () => undefined,
  );
}

// `baton serve` listens before its application loads: an orchestrator sees a
// live process that is not ready yet, and clients that connect early are
// answered once it is up.
describe('baton serve starting up', () => {
  const running: BatonProcess[] = [];
  let silent: Server | undefined;
  const held: Socket[] = [];

  afterEach(async () => {
    for (const baton of running.splice(0)) baton.kill();
    for (const socket of held.splice(0)) socket.destroy();
    await new Promise((resolve) => (silent ? silent.close(resolve) : resolve(undefined)));
    silent = undefined;
  });

  async function start(overrides: Record<string, string> = {}): Promise<{ baton: BatonProcess; base: string }> {
    const port = await new TcpProxy({ host: '127.0.0.1', port: 1 }).reservePort();
    const baton = spawnBaton(['serve', '--port', String(port)], { BATON_LOG_LEVEL: 'info', ...overrides });
    running.push(baton);
    return { baton, base: `http://127.0.0.1:${port}` };
  }

  it('is live and not ready while its database does not answer, holds MCP requests meanwhile, and says why it stops', async () => {
    // A server that accepts connections and never says a word.
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
    const dbPort = (silent.address() as AddressInfo).port;
    const { baton, base } = await start({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${dbPort}/baton` });

    await waitFor('/health/live to answer 200', async () => (await status(`${base}/health/live`)) === 200, START_MS);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'error', error: { application: { status: 'down', message: expect.stringMatching(/starting/) } } });

    let settled = false;
    const initialize = fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'early', version: '1' } } }),
    }).finally(() => (settled = true));
    initialize.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);

    // The database check gives up (after its 10 s connect timeout) and the
    // process exits, ending the held request rather than leaving it hanging.
    expect(await baton.exitedWithin(25_000)).toBe(2);
    await expect(initialize).rejects.toThrow();
    expect(logLines(baton.stderr()).some((line) => /Cannot connect to PostgreSQL at 127\.0\.0\.1:\d+/.test(String(line.msg)))).toBe(true);
  }, 40_000);

  it('answers a client that connected as soon as it was live, then becomes ready, and stops promptly on SIGTERM', async () => {
    const { baton, base } = await start();
    await waitFor('/health/live to answer 200', async () => (await status(`${base}/health/live`)) === 200, START_MS);
    // The client's initialize and tools/list are likely sent before the
    // application is up: they wait for it.
    const client = await connectHttpClient(new URL(`${base}/mcp`), 'early-client');
    try {
      const { sessionKey } = (await callOk(client, 'register_session', { agentId: 'early@e2e', title: 'connected while Baton was starting' })) as { sessionKey: string };
      expect((await callOk(client, 'update_context', { sessionKey, type: 'note', content: 'first entry' })).sequence).toBe(1);
      expect(await status(`${base}/health/ready`)).toBe(200);
      const live = await fetch(`${base}/health/live`);
      // The application answers now, on the same port.
      expect(live.headers.get('connection')).not.toBe('close');
    } finally {
      await client.close();
    }
    baton.child.kill('SIGTERM');
    expect(await baton.exitedWithin(10_000)).toBe(0);
  }, 60_000);

  it('logs one short line per request: it shows up promptly on an idle server, and no line is lost when it stops', async () => {
    const { baton, base } = await start();
    await waitFor('/health/ready to answer 200', async () => (await status(`${base}/health/ready`)) === 200, START_MS);
    const requestLines = (): Record<string, unknown>[] => logLines(baton.stderr()).filter((line) => (line.req as { url?: string } | undefined)?.url === '/api/sessions');
    expect((await fetch(`${base}/api/sessions`)).status).toBe(200);
    // Lines are gathered into fewer writes, for at most 100 ms.
    await waitFor('the request line', () => requestLines().length === 1, 2_000);
    expect(Object.keys(requestLines()[0] ?? {}).sort()).toEqual(['level', 'msg', 'req', 'res', 'responseTime', 'service', 'time']);
    await Promise.all(Array.from({ length: 40 }, () => fetch(`${base}/api/sessions`).then((r) => r.arrayBuffer())));
    baton.child.kill('SIGTERM');
    expect(await baton.exitedWithin(10_000)).toBe(0);
    expect(requestLines()).toHaveLength(41);
  }, 60_000);

  it('puts the id of an MCP request on every line logged while serving it, as on its request line', async () => {
    const { baton, base } = await start({ BATON_LOG_LEVEL: 'debug' });
    await waitFor('/health/ready to answer 200', async () => (await status(`${base}/health/ready`)) === 200, START_MS);
    const client = await connectHttpClient(new URL(`${base}/mcp`), 'logged-client');
    await client.close();
    const lines = (): Record<string, unknown>[] => logLines(baton.stderr());
    // Opening the MCP session is logged while its initialize request is served.
    await waitFor('the line of the opened MCP session', () => lines().some((line) => line.msg === 'MCP session opened'), 2_000);
    const opened = lines().find((line) => line.msg === 'MCP session opened') as { req?: { id?: unknown } };
    const initialize = lines().filter((line) => line.msg === 'request completed' && (line.req as { url?: string }).url === '/mcp')[0] as { req: { id: unknown } };
    expect(typeof opened.req?.id).toBe('number');
    expect(opened.req?.id).toBe(initialize.req.id);
  }, 60_000);

  it('says which port is in use and how to choose another', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const baton = spawnBaton(['serve', '--port', String(port)]);
      running.push(baton);
      expect(await baton.exitedWithin(START_MS)).toBe(1);
      expect(baton.stderr()).toContain(`127.0.0.1:${port} is in use by another process: stop it, or choose another port with --port or BATON_HTTP_PORT`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 40_000);
});
