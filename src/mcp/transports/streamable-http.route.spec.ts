import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

import express, { type NextFunction, type Request, type Response } from 'express';
import { PinoLogger } from 'nestjs-pino';
import pino from 'pino';

import type { BatonConfig } from 'src/config/config.schema.js';
import { loggerOptions } from 'src/platform/logging/boot-logger.js';
import type { BearerAuthMiddleware } from 'src/http/auth/bearer-auth.middleware.js';
import type { OriginGuardMiddleware } from 'src/http/origin-guard.middleware.js';
import type { RequestLimitsMiddleware } from 'src/http/request-limits.middleware.js';
import type { StreamableHttpEndpoint } from 'src/mcp/transports/streamable-http.endpoint.js';
import { StreamableHttpRoute } from 'src/mcp/transports/streamable-http.route.js';

const config = { limits: { maxEntryBytes: 1024 } } as unknown as BatonConfig;
// The body limit is the larger of 1 MiB and 8 entries.
const LIMIT = 1024 * 1024;

let server: Server;
let base: string;
let order: string[];
let logged: Record<string, unknown>[];
let answerAt: string | undefined;
let endpointFails: boolean;
let throwAt: string | undefined;

function check(name: string) {
  return {
    use: (_req: Request, res: Response, next: NextFunction): void => {
      order.push(name);
      if (throwAt === name) throw new Error(`${name} broke`);
      if (answerAt === name) res.status(401).json({ refusedBy: name });
      else next();
    },
  };
}

beforeAll(async () => {
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  // Baton's options (the request's id on every line served under it), the serializers of its request lines.
  const options = { ...loggerOptions({ log: { level: 'info' } } as BatonConfig), serializers: { req: (req: Request) => ({ id: req.id as unknown, method: req.method, url: req.url }), res: (res: Response) => ({ statusCode: res.statusCode }) } };
  Object.defineProperty(PinoLogger, 'root', { value: pino(options, lines), configurable: true });
  const endpoint = {
    handle: async (req: Request, res: Response): Promise<void> => {
      order.push('endpoint');
      // Later, as a tool call's line would be.
      await new Promise((resolve) => setImmediate(resolve));
      PinoLogger.root.warn({ tool: 'ping' }, 'a line logged while serving');
      if (endpointFails) throw new Error('endpoint broke');
      res.json({ method: req.method, body: req.body as unknown });
    },
  };
  const route = new StreamableHttpRoute(
    check('origin') as unknown as OriginGuardMiddleware,
    check('bearer') as unknown as BearerAuthMiddleware,
    check('limits') as unknown as RequestLimitsMiddleware,
    endpoint as unknown as StreamableHttpEndpoint,
    config,
  );
  const app = express();
  app.use(route.handler);
  app.use((_req, res) => void res.status(418).json({ passedOn: true }));
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  order = [];
  logged = [];
  answerAt = undefined;
  endpointFails = false;
  throwAt = undefined;
});

const post = (path: string, body: string, headers: Record<string, string> = {}): Promise<globalThis.Response> =>
  fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('StreamableHttpRoute', () => {
  it.each(['/mcp', '/MCP', '/mcp/', '/mcp?client=1'])('serves %s through every check in order, then the endpoint with the parsed body', async (path) => {
    const res = await post(path, '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ method: 'POST', body: { jsonrpc: '2.0', id: 1, method: 'ping' } });
    expect(order).toEqual(['origin', 'bearer', 'limits', 'endpoint']);
    // Security headers, as on every route.
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it.each(['/mcp/x', '/mcpx', '/api/sessions', '/.well-known/oauth-protected-resource/mcp'])('leaves %s to the routes after it', async (path) => {
    const res = await post(path, '{}');
    expect(res.status).toBe(418);
    expect(order).toEqual([]);
  });

  it('stops at a check that answers: the request goes no further', async () => {
    answerAt = 'bearer';
    const res = await post('/mcp', '{}');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ refusedBy: 'bearer' });
    expect(order).toEqual(['origin', 'bearer']);
  });

  it('reads no body before the caller is authenticated and within its limits', async () => {
    answerAt = 'bearer';
    const res = await post('/mcp', '{"jsonrpc": ');
    expect(res.status).toBe(401);
    expect(order).toEqual(['origin', 'bearer']);
  });

  it('answers a body that is not JSON with a JSON-RPC parse error, and one over the limit with an invalid request', async () => {
    const broken = await post('/mcp', '{"jsonrpc": ');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.stringContaining('not valid JSON') } });
    const large = await post('/mcp', JSON.stringify({ padding: 'x'.repeat(LIMIT) }));
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: { code: -32600, message: expect.stringContaining('could not be read') } });
    expect(order).toEqual(['origin', 'bearer', 'limits', 'origin', 'bearer', 'limits']);
  });

  it('answers an endpoint failure with a JSON-RPC internal error instead of dropping the connection', async () => {
    endpointFails = true;
    const res = await post('/mcp', '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32603 } });
  });

  it('answers a check that throws with a JSON-RPC internal error, and runs nothing after it', async () => {
    throwAt = 'bearer';
    const res = await post('/mcp', '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32603 } });
    expect(order).toEqual(['origin', 'bearer']);
  });

  it('writes one request line per request, with its status and time, and puts its id on every line logged while serving it', async () => {
    await post('/mcp', '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    answerAt = 'limits';
    await post('/mcp?x=1', '{}');
    endpointFails = true;
    answerAt = undefined;
    await post('/mcp', '{}');
    await new Promise((resolve) => setImmediate(resolve));
    const shape = (line: Record<string, unknown>) => [line.msg, { ...(line.req as object), id: typeof (line.req as { id?: unknown }).id }, line.res, typeof line.responseTime];
    expect(logged.map(shape)).toEqual([
      ['a line logged while serving', { id: 'number' }, undefined, 'undefined'],
      ['request completed', { id: 'number', method: 'POST', url: '/mcp' }, { statusCode: 200 }, 'number'],
      ['request completed', { id: 'number', method: 'POST', url: '/mcp?x=1' }, { statusCode: 401 }, 'number'],
      ['a line logged while serving', { id: 'number' }, undefined, 'undefined'],
      ['request errored', { id: 'number', method: 'POST', url: '/mcp' }, { statusCode: 500 }, 'number'],
    ]);
    const ids = logged.map((line) => (line.req as { id: number }).id);
    // Each request's lines carry its own id, and no other request's.
    expect(ids[0]).toBe(ids[1]);
    expect(new Set([ids[1], ids[2], ids[3]]).size).toBe(3);
    expect(ids[4]).toBe(ids[3]);
  });
});
