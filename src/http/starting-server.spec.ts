import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { StartingServer } from 'src/http/starting-server.js';

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function send(port: number, method: string, path: string, body?: string, agentOptions: { keepAlive?: boolean } = {}): Promise<Reply> & { abort: () => void } {
  let abort = (): void => undefined;
  const reply = new Promise<Reply>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: body ? { 'content-type': 'application/json' } : {}, agent: agentOptions.keepAlive ? undefined : false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    abort = () => req.destroy();
    req.end(body);
  });
  return Object.assign(reply, { abort: () => abort() });
}

// Reads a request's body, then answers with what it read.
function echo(seen: string[]): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      res.end(`application: ${body}`);
    });
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('StartingServer', () => {
  let starting: StartingServer;
  let port: number;

  beforeEach(async () => {
    starting = await StartingServer.listen('127.0.0.1', 0);
    port = (starting.server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    starting.destroyConnections();
    await new Promise((resolve) => starting.server.close(resolve));
  });

  it('answers /health/live 200 and /health/ready 503 before the application is up, with security headers, closing each connection', async () => {
    const live = await send(port, 'GET', '/health/live');
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    expect(live.headers['x-content-type-options']).toBe('nosniff');
    expect(live.headers['cache-control']).toBe('no-store');
    expect(live.headers.connection).toBe('close');

    const ready = await send(port, 'GET', '/health/ready?verbose=1');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'error', error: { application: { status: 'down', message: expect.stringMatching(/starting/) } } });

    const head = await send(port, 'HEAD', '/health/live');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('holds every other request, unread, and hands it to the application in the order it came', async () => {
    const seen: string[] = [];
    const first = send(port, 'POST', '/mcp', '{"jsonrpc":"2.0","id":1,"method":"initialize"}');
    const second = send(port, 'GET', '/api/sessions');
    // Only reads of the probes are answered while starting.
    const write = send(port, 'POST', '/health/live', '{}');
    // Neither is answered while starting: the probe is, meanwhile.
    expect((await send(port, 'GET', '/health/live')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);

    starting.handOver(echo(seen));
    expect((await first).body).toBe('application: {"jsonrpc":"2.0","id":1,"method":"initialize"}');
    expect((await second).body).toBe('application: ');
    expect((await write).body).toBe('application: {}');
    expect(seen).toEqual(['POST /mcp {"jsonrpc":"2.0","id":1,"method":"initialize"}', 'GET /api/sessions ', 'POST /health/live {}']);
    // From now on the application answers everything, health included.
    expect((await send(port, 'GET', '/health/live')).body).toBe('application: ');
    expect(() => starting.handOver(echo(seen))).toThrow(/handed over already/);
  });

  it('forgets a held request whose client gave up', async () => {
    const seen: string[] = [];
    const gone = send(port, 'POST', '/mcp', '{"gone":true}');
    gone.catch(() => undefined);
    const kept = send(port, 'POST', '/mcp', '{"kept":true}');
    await new Promise((resolve) => setTimeout(resolve, 50));
    gone.abort();
    await until(() => (starting as unknown as { held: unknown[] }).held.length === 1);

    starting.handOver(echo(seen));
    expect((await kept).body).toBe('application: {"kept":true}');
    expect(seen).toEqual(['POST /mcp {"kept":true}']);
  });

  it('answers 503 with Retry-After once it holds as many requests as it may', async () => {
    const held = Array.from({ length: 256 }, (_, i) => send(port, 'GET', `/api/sessions/${i}`));
    held.forEach((reply) => reply.catch(() => undefined));
    // Each held request is counted once its headers are read.
    await until(() => (starting as unknown as { held: unknown[] }).held.length === 256);
    const refused = await send(port, 'GET', '/api/sessions/one-more');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body).message).toMatch(/starting and already holds 256 requests .* retry in 1 s/);

    starting.handOver((_req, res) => res.end('done'));
    expect((await Promise.all(held)).every((reply) => reply.body === 'done')).toBe(true);
  });

  it('ends open connections, idle or not, when asked', async () => {
    starting.handOver((_req, res) => res.end('ok'));
    const client = await new Promise<Socket>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
    });
    const closed = new Promise((resolve) => client.once('close', resolve));
    await until(() => (starting as unknown as { sockets: Set<unknown> }).sockets.size === 1);
    starting.destroyConnections();
    await closed;
  });
});

describe('StartingServer.listen', () => {
  let taken: Server;

  afterEach(async () => {
    await new Promise((resolve) => taken.close(resolve));
  });

  it('says which address is in use and how to choose another', async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    await expect(StartingServer.listen('127.0.0.1', port)).rejects.toThrow(`127.0.0.1:${port} is in use by another process: stop it, or choose another port with --port or BATON_HTTP_PORT`);
  });
});
