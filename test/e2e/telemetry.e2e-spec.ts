import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { BatonProcess } from 'bench/support/baton-process.js';
import { MCP_DURATION_BUCKETS } from 'src/platform/telemetry/baton-metrics.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient } from 'test/support/baton-app.js';
import { OtlpReceiver, type ReceivedSpan } from 'test/support/otlp-receiver.js';
import { testSettings } from 'test/support/test-config.js';
import { callOk, callTool } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

const SERVER = 2;

let receiver: OtlpReceiver;
let baton: BatonProcess;
let client: Client;
let logFile: string;

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
  logFile = join(mkdtempSync(join(tmpdir(), 'baton-telemetry-')), 'serve.log');
  baton = await BatonProcess.start(
    testSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
      OTEL_SERVICE_NAME: 'baton-e2e',
      BATON_LOG_LEVEL: 'info',
    }),
    logFile,
  );
  client = await connectHttpClient(baton.url, 'telemetry-e2e');
}, 60_000);

afterAll(async () => {
  await client?.close();
  await baton?.stop();
  await receiver?.close();
});

function childrenOf(spans: ReceivedSpan[], root: ReceivedSpan): ReceivedSpan[] {
  const below: ReceivedSpan[] = [];
  const queue = [root.spanId];
  while (queue.length > 0) {
    const parent = queue.shift() as string;
    for (const span of spans.filter((s) => s.traceId === root.traceId && s.parentSpanId === parent)) {
      below.push(span);
      queue.push(span.spanId);
    }
  }
  return below;
}

describe('telemetry exported over OTLP', () => {
  it('gives tools/call update_context one SERVER span that continues the caller\'s trace, with the pg span of its prepared append under it', async () => {
    const sessionKey = await registerSession(client);
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const result = await client.callTool({
      name: 'update_context',
      arguments: { sessionKey, type: 'decision', content: 'Use the ledger for handoffs' },
      _meta: { traceparent: `00-${traceId}-${callerSpanId}-01`, tracestate: 'vendor=e2e' },
    });
    expect(result.isError).toBeFalsy();

    const mcpSpan = await waitFor('the update_context span', () => receiver.spans.find((s) => s.traceId === traceId && s.name === 'tools/call update_context'), 20_000);
    expect(mcpSpan.kind).toBe(SERVER);
    expect(mcpSpan.parentSpanId).toBe(callerSpanId);
    expect(mcpSpan.scope).toBe('baton.mcp');
    expect(mcpSpan.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'update_context',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.protocol.version': '2025-11-25',
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
    });
    expect(mcpSpan.attributes['jsonrpc.request.id']).toMatch(/^\d+$/);
    expect(mcpSpan.attributes['mcp.session.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(mcpSpan.attributes['error.type']).toBeUndefined();
    // The HTTP request that carried the message is linked, not the parent.
    expect(mcpSpan.links).toHaveLength(1);

    // The append is a prepared statement sent through pg, past the Prisma client.
    const below = await waitFor('the pg span under the MCP span', () => {
      const spans = childrenOf(receiver.spans, mcpSpan);
      return spans.some((s) => s.scope.includes('instrumentation-pg')) ? spans : undefined;
    });
    // A named statement is reported by its name, not its SQL.
    const pgSpan = below.find((s) => s.scope.includes('instrumentation-pg') && s.attributes['db.query.text'] === 'EXECUTE append_entry');
    expect(pgSpan).toBeDefined();
    expect(pgSpan?.attributes['db.system.name'] ?? pgSpan?.attributes['db.system']).toBe('postgresql');
  });

  it('puts Prisma\'s spans and pg spans below the SERVER span of a call that queries through Prisma', async () => {
    const sessionKey = await registerSession(client);
    await callOk(client, 'get_context', { sessionKey });
    const mcpSpan = await waitFor('the get_context span', () => receiver.spans.find((s) => s.name === 'tools/call get_context'), 20_000);
    const below = await waitFor('Prisma and pg spans under the MCP span', () => {
      const spans = childrenOf(receiver.spans, mcpSpan);
      return spans.some((s) => s.scope === 'prisma') && spans.some((s) => s.scope.includes('instrumentation-pg')) ? spans : undefined;
    });
    expect(below.find((s) => s.name.startsWith('prisma:client:operation') || s.name.startsWith('prisma:'))).toBeDefined();
  });

  it('starts a new trace under the HTTP request when no trace context is given, and marks isError results as tool_error', async () => {
    const outcome = await callTool(client, 'update_context', { sessionKey: 'no-such-session-telemetry', type: 'note', content: 'x' });
    expect(outcome.isError).toBe(true);
    const span = await waitFor('the failed update_context span', () => receiver.spans.find((s) => s.name === 'tools/call update_context' && s.attributes['error.type'] === 'tool_error'), 20_000);
    expect(span.status.code).toBe(2);
    // Its ancestors are the Express handler and, at the root, the HTTP server span.
    let root = span;
    for (let parent = receiver.spans.find((s) => s.spanId === root.parentSpanId); parent; parent = receiver.spans.find((s) => s.spanId === root.parentSpanId)) root = parent;
    expect(root).not.toBe(span);
    expect(root.scope).toBe('@opentelemetry/instrumentation-http');
    expect(root.kind).toBe(SERVER);
  });

  it('records a JSON-RPC error code as error.type', async () => {
    await expect(client.readResource({ uri: 'handoff://nothing/here' })).rejects.toThrow();
    const span = await waitFor('the resources/read span', () => receiver.spans.find((s) => s.name === 'resources/read' && s.attributes['mcp.resource.uri'] === 'handoff://nothing/here'), 20_000);
    expect(span.attributes['error.type']).toBe('-32002');
    expect(span.attributes['rpc.response.status_code']).toBe('-32002');
  });

  it('puts trace_id and span_id on the log lines written inside a request', async () => {
    const sessionKey = await registerSession(client);
    await callOk(client, 'update_context', { sessionKey, type: 'todo', content: 'Write the migration guide' });
    await callOk(client, 'request_handoff', { sessionKey, targetAgent: 'reviewer', type: 'context_transfer' });
    const span = await waitFor('the request_handoff span', () => receiver.spans.find((s) => s.name === 'tools/call request_handoff'), 20_000);
    const line = await waitFor('the handoff log line', () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'handoff requested' && l.sessionKey === sessionKey),
    );
    expect(line.trace_id).toBe(span.traceId);
    expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(receiver.spans.some((s) => s.traceId === span.traceId && s.spanId === line.span_id)).toBe(true);
  });

  it('exports mcp.server.operation.duration in seconds with the conventions\' buckets', async () => {
    const metric = await waitFor('the operation duration metric', () => receiver.metrics.find((m) => m.name === 'mcp.server.operation.duration' && m.histogram?.dataPoints.some((p) => p.attributes['gen_ai.tool.name'] === 'update_context')), 20_000);
    expect(metric.unit).toBe('s');
    const point = metric.histogram?.dataPoints.find((p) => p.attributes['gen_ai.tool.name'] === 'update_context');
    expect(point?.explicitBounds).toEqual(MCP_DURATION_BUCKETS);
    expect(point?.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'network.transport': 'tcp' });
    expect(receiver.metrics.some((m) => m.name === 'baton.context.appends')).toBe(true);
  });
});

describe('OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
  let lean: BatonProcess;
  let leanClient: Client;

  beforeAll(async () => {
    lean = await BatonProcess.start(
      testSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express,nestjs-core',
      }),
      join(mkdtempSync(join(tmpdir(), 'baton-telemetry-lean-')), 'serve.log'),
    );
    leanClient = await connectHttpClient(lean.url, 'telemetry-e2e-lean');
  }, 60_000);

  afterAll(async () => {
    await leanClient?.close();
    await lean?.stop();
  });

  // The scopes of every span in the trace of one update_context made through `through`.
  async function scopesOfAppendTrace(through: Client): Promise<Set<string>> {
    const sessionKey = await registerSession(through);
    const traceId = randomBytes(16).toString('hex');
    await through.callTool({ name: 'update_context', arguments: { sessionKey, type: 'note', content: 'traced' }, _meta: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
    const mcpSpan = await waitFor('the update_context span', () => receiver.spans.find((s) => s.traceId === traceId && s.name === 'tools/call update_context'), 20_000);
    // The HTTP request that carried the call is linked from the MCP span.
    const httpTraceId = mcpSpan.links[0]?.traceId as string;
    await waitFor('the pg span of the append', () => childrenOf(receiver.spans, mcpSpan).find((s) => s.scope.includes('instrumentation-pg')));
    const httpTrace = await httpSpans(httpTraceId);
    return new Set([...httpTrace, mcpSpan, ...childrenOf(receiver.spans, mcpSpan)].map((s) => s.scope));
  }

  // The scopes of the spans of one REST request to `server`, which Express
  // routes (MCP requests have a route of their own, ahead of Express's router).
  async function scopesOfRestTrace(server: BatonProcess): Promise<Set<string>> {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(new URL('/api/sessions', server.url), { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
    expect(res.status).toBe(200);
    return new Set((await httpSpans(traceId)).map((s) => s.scope));
  }

  // The spans of a trace once its HTTP server span, which ends last, is in.
  function httpSpans(traceId: string): Promise<ReceivedSpan[]> {
    return waitFor('the HTTP server span', () => {
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      return spans.some((s) => s.scope === '@opentelemetry/instrumentation-http') ? spans : undefined;
    });
  }

  it('leaves out the named instrumentations\' spans and keeps the HTTP, MCP and pg ones', async () => {
    const usual = await scopesOfRestTrace(baton);
    expect(usual).toContain('@opentelemetry/instrumentation-express');

    const trimmed = await scopesOfRestTrace(lean);
    expect(trimmed).not.toContain('@opentelemetry/instrumentation-express');
    expect([...trimmed].some((scope) => scope.includes('nestjs'))).toBe(false);
    expect(trimmed).toContain('@opentelemetry/instrumentation-http');

    for (const through of [client, leanClient]) {
      const append = await scopesOfAppendTrace(through);
      expect(append).toContain('@opentelemetry/instrumentation-http');
      expect(append).toContain('baton.mcp');
      expect(append).toContain('@opentelemetry/instrumentation-pg');
      expect(append).not.toContain('@opentelemetry/instrumentation-express');
    }
  });
});
