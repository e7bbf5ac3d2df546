import { jest } from '@jest/globals';
import { PassThrough } from 'node:stream';

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { LATEST_PROTOCOL_VERSION, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

import type { McpRegistry } from 'src/mcp/mcp-registry.js';
import { McpServerFactory } from 'src/mcp/mcp-server.factory.js';
import type { SubscriptionHub } from 'src/mcp/subscription-hub.js';
import { StdioHandshake } from 'src/mcp/transports/stdio-handshake.js';
import { localPrincipal } from 'src/platform/access/principal.js';
import type { AuditTrail } from 'src/platform/audit/audit-trail.js';
import type { RateLimiterService } from 'src/platform/limits/rate-limiter.service.js';

const initialize = (id: number | string, protocolVersion = '2025-06-18'): string =>
  `${JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'spec', version: '1.0.0' } } })}\n`;
const line = (message: object): string => `${JSON.stringify(message)}\n`;

// The server Baton runs, built by the real factory (no tools needed here).
function batonServer() {
  const registry = { tools: new Map(), resources: [] } as unknown as McpRegistry;
  const hub = { attach: jest.fn(() => ({ uris: new Set<string>() })), detach: jest.fn() } as unknown as SubscriptionHub;
  const limits = { takeToolCall: () => Promise.resolve(undefined) } as unknown as RateLimiterService;
  return new McpServerFactory(registry, hub, { record: jest.fn() } as unknown as AuditTrail, limits).create({ principal: localPrincipal('ns'), source: 'stdio' });
}

// Every message written to `stream`, as it arrives.
function messages(stream: PassThrough): JSONRPCMessage[] {
  const seen: JSONRPCMessage[] = [];
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      seen.push(JSON.parse(buffered.slice(0, at)) as JSONRPCMessage);
      buffered = buffered.slice(at + 1);
    }
  });
  return seen;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('StdioHandshake', () => {
  it('answers initialize at once, exactly as the server would, and the server answers it no second time', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const seen = messages(stdout);
    const handshake = StdioHandshake.start(stdin, stdout);
    // Split mid-line, as a pipe may deliver it.
    const first = initialize(7);
    stdin.write(first.slice(0, 20));
    stdin.write(first.slice(20));
    await turn();
    expect(seen).toEqual([{ jsonrpc: '2.0', id: 7, result: StdioHandshake.answer('2025-06-18') }]);

    stdin.write(line({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    stdin.write(line({ jsonrpc: '2.0', id: 8, method: 'tools/list' }));
    const server = batonServer();
    const { input, output } = handshake.handOver();
    await server.connect(new StdioServerTransport(input, output));
    stdin.write(line({ jsonrpc: '2.0', id: 9, method: 'ping' }));
    await until(() => seen.length === 3);
    expect(seen.map((m) => ('id' in m ? m.id : undefined))).toEqual([7, 8, 9]);
    expect(seen[1]).toMatchObject({ id: 8, result: { tools: [] } });
    // The server initialized from the client's own request.
    expect(server.getClientVersion()).toEqual({ name: 'spec', version: '1.0.0' });
    await server.close();
  });

  it('gives the answer the factory-built server gives, for a supported and an unknown protocol version', async () => {
    for (const requested of ['2025-03-26', '1999-01-01']) {
      const toServer = new PassThrough();
      const fromServer = new PassThrough();
      const seen = messages(fromServer);
      const server = batonServer();
      await server.connect(new StdioServerTransport(toServer, fromServer));
      toServer.write(initialize(1, requested));
      await until(() => seen.length === 1);
      expect(seen[0]).toEqual({ jsonrpc: '2.0', id: 1, result: StdioHandshake.answer(requested) });
      await server.close();
    }
    expect(StdioHandshake.answer('1999-01-01').protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('leaves anything but a well-formed first initialize to the server', async () => {
    const oversized = `${initialize(1).slice(0, -3)}${' '.repeat(1100 * 1024)}}}\n`;
    for (const first of ['not json\n', line({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), line({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 5 } }), oversized]) {
      const stdin = new PassThrough();
      const stdout = new PassThrough();
      const seen = messages(stdout);
      const handshake = StdioHandshake.start(stdin, stdout);
      // In pipe-sized pieces.
      for (let at = 0; at < first.length; at += 65_536) stdin.write(first.slice(at, at + 65_536));
      // A later initialize is not answered early either.
      stdin.write(initialize(2));
      await turn();
      expect(seen).toEqual([]);
      const server = batonServer();
      const { input, output } = handshake.handOver();
      await server.connect(new StdioServerTransport(input, output));
      await until(() => seen.some((m) => 'id' in m && m.id === 2));
      expect(seen.filter((m) => 'id' in m && m.id === 2)).toHaveLength(1);
      await server.close();
    }
  });

  it('reads a first line whose characters are split across chunks', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const seen = messages(stdout);
    StdioHandshake.start(stdin, stdout);
    const bytes = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 'é', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'çà', version: '1' } } })}\n`);
    const split = bytes.indexOf(Buffer.from('é')) + 1;
    stdin.write(bytes.subarray(0, split));
    stdin.write(bytes.subarray(split));
    await turn();
    expect(seen).toEqual([{ jsonrpc: '2.0', id: 'é', result: StdioHandshake.answer('2025-06-18') }]);
  });

  it('passes on the end of input that came before the server was up', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const handshake = StdioHandshake.start(stdin, stdout);
    stdin.end(initialize(1));
    await turn();
    const { input } = handshake.handOver();
    const read: Buffer[] = [];
    input.on('data', (chunk: Buffer) => read.push(chunk));
    await new Promise((resolve) => input.once('end', resolve));
    expect(Buffer.concat(read).toString('utf8')).toBe(initialize(1));
    expect(() => handshake.handOver()).toThrow(/already handed over/);
  });
});
