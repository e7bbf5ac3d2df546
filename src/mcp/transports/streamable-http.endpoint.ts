import { randomUUID } from 'node:crypto';

import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from 'express';

import type { Principal } from 'src/platform/access/principal.js';
import type { Scope } from 'src/platform/access/scopes.js';
import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { McpServerFactory } from 'src/mcp/mcp-server.factory.js';
import { McpTelemetry } from 'src/mcp/mcp-telemetry.js';
import { SubscriptionHub } from 'src/mcp/subscription-hub.js';
import { McpSessionStore } from 'src/mcp/transports/mcp-session.store.js';
import { clientAddress, principalOf } from 'src/platform/access/request-principal.js';
import { AccessError } from 'src/platform/access/access.errors.js';
import { accessDeniedRecord } from 'src/platform/audit/access-denied.js';
import { AuditTrail } from 'src/platform/audit/audit-trail.js';
import { EventBusService } from 'src/platform/events/event-bus.service.js';
import { LimitError } from 'src/platform/limits/limits.errors.js';
import { RefusalAudit } from 'src/platform/limits/refusal-audit.js';

interface McpHttpSession {
  readonly credentialId: string;
  readonly transport: StreamableHTTPServerTransport;
  readonly server: Server;
  lastSeen: number;
  // When its lifetime in Redis was last pushed forward.
  sharedAt: number;
  openStreams: number;
}

// A DELETE served by another replica ends the session here too.
const MCP_SESSION_CLOSED = 'mcp.session_closed';
const SHARE_REFRESH_MS = 30_000;

// MCP Streamable HTTP at /mcp, stateful: initialize opens an MCP session
// (Mcp-Session-Id), later requests and the GET notification stream use it,
// DELETE ends it. MCP sessions are transport state only; Baton's own sessions
// are named by sessionKey in tool arguments.
//
// Sessions are shared by every replica through Redis (McpSessionStore), so a
// load balancer needs no affinity: a request for a session opened elsewhere
// is served here by a stateless server in the session's identity, and a GET
// stream here hears of subscriptions made through any replica.
//
// Reached through StreamableHttpRoute, after the checks every HTTP request
// passes.
@Injectable()
export class StreamableHttpEndpoint implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(StreamableHttpEndpoint.name);
  private readonly sessions = new Map<string, McpHttpSession>();
  private sweeper?: NodeJS.Timeout;

  private stopListening?: () => void;

  constructor(
    private readonly factory: McpServerFactory,
    private readonly telemetry: McpTelemetry,
    private readonly store: McpSessionStore,
    private readonly hub: SubscriptionHub,
    private readonly events: EventBusService,
    private readonly audit: AuditTrail,
    private readonly refusals: RefusalAudit,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.closeIdleSessions(), 60_000).unref();
    this.stopListening = this.events.listen((event) => {
      const id = event.subject.mcpSessionId;
      const session = event.type === MCP_SESSION_CLOSED && id !== undefined ? this.sessions.get(id) : undefined;
      if (session && id !== undefined) {
        this.sessions.delete(id);
        void session.server.close().catch(() => undefined);
      }
    });
  }

  async handle(req: Request, res: Response): Promise<void> {
    // JSON-RPC 2.0: an empty batch is an invalid request, not zero requests.
    if (Array.isArray(req.body) && req.body.length === 0) return rejectJsonRpc(res, 400, -32600, 'Invalid Request: the body is an empty batch ([]); send one JSON-RPC message or a batch of at least one.');
    const principal = principalOf(req, this.config.sessions.defaultNamespace);
    const denied = this.deniedScope(req, principal);
    if (denied) {
      void this.audit.record(accessDeniedRecord(AccessError.insufficientScope(denied.scope, denied.target), denied.target, principal, clientAddress(req)));
      return insufficientScope(res, denied.scope, this.config);
    }
    const sessionId = req.header('mcp-session-id');
    if (sessionId === undefined) {
      if (req.method === 'POST' && isInitializeRequest(req.body)) return this.open(principal, req, res);
      return rejectJsonRpc(res, 400, -32000, 'Bad request: send initialize first (POST without Mcp-Session-Id), then use the Mcp-Session-Id it returns.');
    }
    // A session used with another credential than the one that opened it is
    // answered as if it did not exist.
    const unknown = (): void => rejectJsonRpc(res, 404, -32001, `MCP session ${sessionId} is unknown or closed; initialize a new one.`);
    const session = this.sessions.get(sessionId);
    if (!session) {
      const shared = await this.store.find(sessionId);
      if (!shared || shared.credentialId !== principal.credentialId) return unknown();
      return this.serveShared(sessionId, principal, req, res);
    }
    if (session.credentialId !== principal.credentialId) return unknown();
    session.lastSeen = Date.now();
    if (session.lastSeen - session.sharedAt > SHARE_REFRESH_MS) {
      session.sharedAt = session.lastSeen;
      void this.store.touch(sessionId);
    }
    if (req.method === 'GET') {
      session.openStreams++;
      res.once('close', () => session.openStreams--);
    }
    await session.transport.handleRequest(req, res, req.body);
  }

  // A request (or every request of a batch) that names a tool or resource
  // outside the caller's scopes.
  private deniedScope(req: Request, principal: Principal): { scope: Scope; target: string } | undefined {
    if (req.method !== 'POST') return undefined;
    const messages: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
    for (const message of messages) {
      if (typeof message !== 'object' || message === null) continue;
      const { method, params } = message as { method?: unknown; params?: unknown };
      const scope = typeof method === 'string' ? this.factory.missingScope(principal, method, params) : undefined;
      const named = (params ?? {}) as { name?: unknown; uri?: unknown };
      if (scope) return { scope, target: String(named.name ?? named.uri) };
    }
    return undefined;
  }

  private async open(principal: Principal, req: Request, res: Response): Promise<void> {
    const overCap = this.sessionCapReached(principal);
    if (overCap) {
      this.refusals.refused(principal, 'limit.mcp_sessions', { ...overCap.details }, clientAddress(req));
      res.status(429).json({ jsonrpc: '2.0', error: { code: -32000, message: overCap.message, data: { code: overCap.code, ...overCap.details } }, id: null });
      return;
    }
    const server = this.factory.create({ principal, source: clientAddress(req) });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: async (id) => {
        this.sessions.set(id, { credentialId: principal.credentialId, transport, server, lastSeen: Date.now(), sharedAt: Date.now(), openStreams: 0 });
        this.hub.identify(server, id);
        // Shared before the initialize result goes out: the client's next
        // request may reach another replica.
        await this.store.register(id, { namespace: principal.namespace, credentialId: principal.credentialId });
        this.logger.debug({ mcpSessionId: id }, 'MCP session opened');
      },
      onsessionclosed: async (id) => {
        this.sessions.delete(id);
        await this.store.remove(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    this.telemetry.instrument(transport, 'tcp');
    await transport.handleRequest(req, res, req.body);
  }

  // Sessions are counted on this process; initializes in progress are not,
  // but the in-flight cap bounds how many those can be.
  private sessionCapReached(principal: Principal): LimitError | undefined {
    if (principal.kind === 'local') return undefined;
    let open = 0;
    for (const session of this.sessions.values()) if (session.credentialId === principal.credentialId) open++;
    return open >= this.config.limits.maxMcpSessionsPerCredential ? LimitError.tooManySessions(open) : undefined;
  }

  // A session another replica opened. DELETE ends it everywhere; any other
  // request gets a server and a stateless transport of its own, in the
  // session's identity, closed when the HTTP exchange ends (for a GET: when
  // the client leaves the notification stream).
  private async serveShared(id: string, principal: Principal, req: Request, res: Response): Promise<void> {
    if (req.method === 'DELETE') {
      await this.store.remove(id);
      this.events.publish({ namespace: principal.namespace, type: MCP_SESSION_CLOSED, subject: { mcpSessionId: id } });
      res.status(200).end();
      return;
    }
    const server = this.factory.create({ principal, source: clientAddress(req), mcpSessionId: id });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    this.telemetry.instrument(transport, 'tcp', id);
    if (req.method === 'GET') await this.hub.adopt(server);
    res.once('close', () => void server.close().catch(() => undefined));
    await transport.handleRequest(req, res, req.body);
  }

  private async closeIdleSessions(): Promise<void> {
    const cutoff = Date.now() - this.config.http.mcpSessionIdleSeconds * 1000;
    for (const [id, session] of this.sessions) {
      if (session.openStreams > 0 || session.lastSeen > cutoff) continue;
      this.sessions.delete(id);
      await session.server.close().catch(() => undefined);
      this.logger.debug({ mcpSessionId: id }, 'closed an idle MCP session');
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweeper);
    this.stopListening?.();
    await Promise.all([...this.sessions.values()].map((s) => s.server.close().catch(() => undefined)));
    this.sessions.clear();
  }
}

// RFC 6750 §3.1: the caller is known but its token lacks the scope.
function insufficientScope(res: Response, scope: Scope, config: BatonConfig): void {
  const metadata = config.auth.resource !== undefined ? `, resource_metadata="${getOAuthProtectedResourceMetadataUrl(new URL(config.auth.resource))}"` : '';
  res.setHeader('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${scope}", error_description="this request needs the ${scope} scope"${metadata}`);
  rejectJsonRpc(res, 403, -32001, `Forbidden: this request needs the ${scope} scope, which your credential does not carry. Ask for a token or API key with ${scope} (or a role that includes it).`);
}

export function rejectJsonRpc(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}
