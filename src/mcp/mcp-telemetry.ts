import { Injectable } from '@nestjs/common';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCErrorResponse, JSONRPCMessage, JSONRPCRequest, JSONRPCResultResponse, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

import { BATON_VERSION } from 'src/config/version.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';

// `pipe` for stdio, `tcp` for Streamable HTTP (network.transport).
export type McpNetworkTransport = 'pipe' | 'tcp';

interface PendingRequest {
  readonly span: Span;
  readonly started: number;
  readonly attributes: Attributes;
}

// The one place MCP requests become telemetry, following OpenTelemetry's MCP
// semantic conventions: a SERVER span per request named `{method} {target}`,
// continuing a trace whose context arrives in params._meta, and the
// mcp.server.operation.duration and mcp.server.session.duration histograms.
// It wraps the transport, so every request is covered, initialize included,
// without a line in any tool or resource.
@Injectable()
export class McpTelemetry {
  private readonly tracer = trace.getTracer('baton.mcp', BATON_VERSION);
  private readonly metrics = batonMetrics();

  // Call after server.connect(transport): it wraps what the server installed.
  // A shared session served statelessly here names its session id; its
  // transport lives for one exchange, so it records no session duration.
  instrument(transport: Transport, networkTransport: McpNetworkTransport, sharedSessionId?: string): void {
    const pending = new Map<string | number, PendingRequest>();
    const opened = performance.now();
    let protocolVersion: string | undefined;
    const receive = transport.onmessage;
    const send = transport.send.bind(transport);
    const close = transport.onclose;

    transport.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
      if (isNotification(message) && message.method === 'notifications/cancelled') {
        const id = (message.params as { requestId?: string | number } | undefined)?.requestId;
        if (id !== undefined) this.finish(pending, id, { error: 'cancelled' });
      }
      if (!isRequest(message)) return receive?.(message, extra);
      const header = extra?.requestInfo?.headers['mcp-protocol-version'];
      protocolVersion = (Array.isArray(header) ? header[0] : header) ?? protocolVersion;
      const { name, attributes } = describe(message.method, message.params, networkTransport);
      attributes['jsonrpc.request.id'] = String(message.id);
      const sessionId = transport.sessionId ?? sharedSessionId;
      if (sessionId !== undefined) attributes['mcp.session.id'] = sessionId;
      if (protocolVersion !== undefined) attributes['mcp.protocol.version'] = protocolVersion;
      const { parent, links } = parentOf(message.params);
      const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, links }, parent);
      pending.set(message.id, { span, started: performance.now(), attributes });
      context.with(trace.setSpan(parent, span), () => receive?.(message, extra));
    };

    transport.send = async (message, options) => {
      if (isResult(message)) {
        const result = message.result as { isError?: unknown; protocolVersion?: unknown };
        if (typeof result.protocolVersion === 'string') protocolVersion = result.protocolVersion;
        this.finish(pending, message.id, result.isError === true ? { error: 'tool_error', protocolVersion } : { protocolVersion });
      } else if (isError(message) && message.id !== undefined) {
        this.finish(pending, message.id, { error: String(message.error.code), message: message.error.message, protocolVersion });
      }
      return send(message, options);
    };

    transport.onclose = () => {
      for (const id of [...pending.keys()]) this.finish(pending, id, { error: 'connection_closed' });
      if (sharedSessionId === undefined) this.metrics.mcpSessionDuration.record((performance.now() - opened) / 1000, {
        'network.transport': networkTransport,
        ...(protocolVersion !== undefined ? { 'mcp.protocol.version': protocolVersion } : {}),
      });
      close?.();
    };
  }

  private finish(pending: Map<string | number, PendingRequest>, id: string | number, outcome: { error?: string; message?: string; protocolVersion?: string }): void {
    const request = pending.get(id);
    if (!request) return;
    pending.delete(id);
    const { span, started, attributes } = request;
    if (outcome.protocolVersion !== undefined && attributes['mcp.protocol.version'] === undefined) {
      attributes['mcp.protocol.version'] = outcome.protocolVersion;
      span.setAttribute('mcp.protocol.version', outcome.protocolVersion);
    }
    if (outcome.error !== undefined) {
      span.setAttribute('error.type', outcome.error);
      if (/^-?\d+$/.test(outcome.error)) span.setAttribute('rpc.response.status_code', outcome.error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
    }
    span.end();
    this.metrics.mcpOperationDuration.record((performance.now() - started) / 1000, {
      'mcp.method.name': attributes['mcp.method.name'],
      'network.transport': attributes['network.transport'],
      ...(attributes['gen_ai.tool.name'] !== undefined ? { 'gen_ai.tool.name': attributes['gen_ai.tool.name'] } : {}),
      ...(attributes['mcp.protocol.version'] !== undefined ? { 'mcp.protocol.version': attributes['mcp.protocol.version'] } : {}),
      ...(outcome.error !== undefined ? { 'error.type': outcome.error } : {}),
    });
  }
}

// The transport has validated what arrives and the SDK built what leaves, so
// the members tell the kinds apart; the SDK's guards would parse every
// message (a whole tool result) with zod again, twice.
function isRequest(message: JSONRPCMessage): message is JSONRPCRequest {
  return 'method' in message && 'id' in message;
}

function isNotification(message: JSONRPCMessage): message is Exclude<JSONRPCMessage, JSONRPCRequest> & { method: string; params?: unknown } {
  return 'method' in message && !('id' in message);
}

function isResult(message: JSONRPCMessage): message is JSONRPCResultResponse {
  return 'result' in message && 'id' in message;
}

function isError(message: JSONRPCMessage): message is JSONRPCErrorResponse {
  return 'error' in message;
}

function describe(method: string, params: unknown, networkTransport: McpNetworkTransport): { name: string; attributes: Attributes } {
  const p = (params ?? {}) as { name?: unknown; uri?: unknown };
  const attributes: Attributes = { 'mcp.method.name': method, 'network.transport': networkTransport };
  if (networkTransport === 'tcp') attributes['network.protocol.name'] = 'http';
  let target: string | undefined;
  if (method === 'tools/call' && typeof p.name === 'string') {
    target = p.name;
    attributes['gen_ai.tool.name'] = p.name;
    attributes['gen_ai.operation.name'] = 'execute_tool';
  } else if (method === 'prompts/get' && typeof p.name === 'string') {
    target = p.name;
    attributes['gen_ai.prompt.name'] = p.name;
  }
  if (typeof p.uri === 'string') attributes['mcp.resource.uri'] = p.uri;
  return { name: target !== undefined ? `${method} ${target}` : method, attributes };
}

// A trace context in params._meta (traceparent, tracestate) is the parent;
// the span of the carrying HTTP request, if any, becomes a link.
function parentOf(params: unknown): { parent: Context; links: Link[] } {
  const active = context.active();
  const meta = (params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  if (meta === undefined || typeof meta.traceparent !== 'string') return { parent: active, links: [] };
  const carrier: Record<string, string> = { traceparent: meta.traceparent };
  if (typeof meta.tracestate === 'string') carrier.tracestate = meta.tracestate;
  const parent = propagation.extract(ROOT_CONTEXT, carrier);
  if (trace.getSpanContext(parent) === undefined) return { parent: active, links: [] };
  const carrying = trace.getSpanContext(active);
  return { parent, links: carrying !== undefined ? [{ context: carrying }] : [] };
}
