import { PassThrough } from 'node:stream';

import { jest } from '@jest/globals';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';

import type { BatonConfig } from 'src/config/config.schema.js';
import type { McpServerFactory } from 'src/mcp/mcp-server.factory.js';
import type { McpTelemetry } from 'src/mcp/mcp-telemetry.js';
import { StdioTransport } from 'src/mcp/transports/stdio.transport.js';

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'spec', version: '1.0.0' } } };
const PING = { jsonrpc: '2.0', id: 2, method: 'ping' };

function stdioTransport(): StdioTransport {
  const factory = { create: () => new Server({ name: 'spec', version: '1.0.0' }, { capabilities: {} }) } as unknown as McpServerFactory;
  const telemetry = { instrument: () => undefined } as unknown as McpTelemetry;
  return new StdioTransport(factory, telemetry, { sessions: { defaultNamespace: 'default' } } as BatonConfig);
}

// The answers written so far, and a promise of the next one.
function answers(output: PassThrough): { lines: string[]; next: () => Promise<string> } {
  const lines: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  let buffer = '';
  output.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      lines.push(line);
      waiting?.(line);
    }
  });
  return { lines, next: () => new Promise((resolve) => (waiting = resolve)) };
}

// Lets pending I/O callbacks and immediates run (not timers).
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('StdioTransport', () => {
  it('runs the deferred start once, after the first answer is written, never before', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const written = answers(output);
    const answersWhenStarted: number[] = [];
    const afterFirstAnswer = jest.fn(() => {
      answersWhenStarted.push(written.lines.length);
    });
    const serving = stdioTransport().serve({ input, output, parentPid: 1, afterFirstAnswer });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(afterFirstAnswer).not.toHaveBeenCalled();

    const first = written.next();
    input.write(`${JSON.stringify(INITIALIZE)}\n`);
    expect(JSON.parse(await first)).toMatchObject({ id: 1, result: { serverInfo: { name: 'spec' } } });
    await settle();
    expect(afterFirstAnswer).toHaveBeenCalledTimes(1);
    expect(answersWhenStarted).toEqual([1]);

    const second = written.next();
    input.write(`${JSON.stringify(PING)}\n`);
    await second;
    await settle();
    expect(afterFirstAnswer).toHaveBeenCalledTimes(1);
    input.end();
    await expect(serving).resolves.toBe('stdin closed');
  });

  it('runs the deferred start after a grace period when no client speaks', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    try {
      const input = new PassThrough();
      const afterFirstAnswer = jest.fn();
      const serving = stdioTransport().serve({ input, output: new PassThrough(), parentPid: 1, afterFirstAnswer });
      // Until the server is connected.
      await settle();
      jest.advanceTimersByTime(1_900);
      expect(afterFirstAnswer).not.toHaveBeenCalled();
      jest.advanceTimersByTime(200);
      expect(afterFirstAnswer).toHaveBeenCalledTimes(1);
      input.end();
      await serving;
    } finally {
      jest.useRealTimers();
    }
  });
});
