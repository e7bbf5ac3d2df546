import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { cpuMicrosPerCall } from 'bench/support/component-cost.js';

// The least telemetry work one traced update_context asks of the
// OpenTelemetry SDK, measured without Baton: the four spans Baton makes for
// it (HTTP server, Express route, MCP SERVER, the pg query), nested in active
// contexts, with attributes like Baton's, ended and exported over OTLP/HTTP
// protobuf in batches; and the metric records the same call makes (HTTP and
// MCP durations, the pg query duration, the pg pool's six counter updates,
// the append counter), exported every 5 s. No instrumentation hooks, no
// request parsing: a floor under what tracing can cost per call.
export async function telemetryFloorMicros(endpoint: string): Promise<{ tracing: number; metrics: number }> {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const spans = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }));
  const tracer = new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [spans] }).getTracer('floor');
  const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }), exportIntervalMillis: 5_000 });
  const meter = new MeterProvider({ readers: [reader] }).getMeter('floor');
  const httpDuration = meter.createHistogram('http.server.request.duration', { unit: 's' });
  const mcpDuration = meter.createHistogram('mcp.server.operation.duration', { unit: 's' });
  const dbDuration = meter.createHistogram('db.client.operation.duration', { unit: 's' });
  const connections = meter.createUpDownCounter('db.client.connection.count');
  const pending = meter.createUpDownCounter('db.client.connection.pending_requests');
  const appends = meter.createCounter('baton.context.appends');
  let request = 0;

  const metrics = (): void => {
    const pool = { 'db.client.connection.pool.name': '127.0.0.1:5432/baton' };
    for (let i = 0; i < 2; i++) {
      connections.add(1, { ...pool, 'db.client.connection.state': 'used' });
      connections.add(-1, { ...pool, 'db.client.connection.state': 'idle' });
      pending.add(0, pool);
    }
    dbDuration.record(0.001, { 'db.system.name': 'postgresql', 'db.namespace': 'baton', 'db.operation.name': 'EXECUTE', 'server.address': '127.0.0.1', 'server.port': 5432 });
    appends.add(1, { 'baton.entry.type': 'note' });
    mcpDuration.record(0.002, { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'update_context', 'gen_ai.operation.name': 'execute_tool', 'network.transport': 'tcp', 'mcp.protocol.version': '2025-11-25' });
    httpDuration.record(0.003, { 'http.request.method': 'POST', 'http.route': '/mcp', 'http.response.status_code': 200, 'url.scheme': 'http', 'network.protocol.version': '1.1' });
  };

  const traced = (): Promise<void> => {
    request++;
    const http = tracer.startSpan('POST /mcp', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'POST', 'url.path': '/mcp', 'url.scheme': 'http', 'server.address': '127.0.0.1', 'server.port': 3000, 'network.peer.address': '127.0.0.1',
        'network.peer.port': 40000 + (request % 1000), 'user_agent.original': 'node', 'network.protocol.version': '1.1', 'client.address': '127.0.0.1',
      },
    });
    return context.with(trace.setSpan(context.active(), http), async () => {
      const route = tracer.startSpan('request handler - /mcp', { attributes: { 'http.route': '/mcp', 'express.name': '/mcp', 'express.type': 'request_handler' } });
      await context.with(trace.setSpan(context.active(), route), async () => {
        const mcp = tracer.startSpan('tools/call update_context', {
          kind: SpanKind.SERVER,
          attributes: {
            'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'update_context', 'gen_ai.operation.name': 'execute_tool', 'jsonrpc.request.id': String(request),
            'mcp.session.id': 'b6f1c2d4-5e6f-4a8b-9c0d-1e2f3a4b5c6d', 'mcp.protocol.version': '2025-11-25', 'network.transport': 'tcp',
          },
        });
        await context.with(trace.setSpan(context.active(), mcp), async () => {
          const query = tracer.startSpan('EXECUTE baton', {
            kind: SpanKind.CLIENT,
            attributes: { 'db.system.name': 'postgresql', 'db.namespace': 'baton', 'db.query.text': 'EXECUTE baton_append_entry', 'db.operation.name': 'EXECUTE', 'server.address': '127.0.0.1', 'server.port': 5432 },
          });
          await Promise.resolve();
          query.end();
        });
        mcp.end();
      });
      route.setAttribute('http.response.status_code', 200);
      route.end();
      http.setAttribute('http.response.status_code', 200);
      http.end();
    });
  };

  // Each call yields to the event loop, as a request does, so the batch
  // exports run (and are counted) while the calls go on; the cost of the
  // yield alone is taken off.
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  try {
    const yieldOnly = await cpuMicrosPerCall(turn, 20_000);
    return {
      tracing: (await cpuMicrosPerCall(() => traced().then(turn), 20_000)) - yieldOnly,
      metrics: (await cpuMicrosPerCall(() => turn().then(metrics), 20_000)) - yieldOnly,
    };
  } finally {
    await spans.shutdown();
    await reader.shutdown();
    contextManager.disable();
  }
}
