import { randomUUID } from 'node:crypto';

import { All, Controller, Inject, Logger, Req, Res, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from 'express';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { McpServerFactory } from 'src/mcp/mcp-server.factory.js';

interface McpHttpSession {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: Server;
  lastSeen: number;
  openStreams: number;
}

// MCP Streamable HTTP at /mcp, stateful: initialize opens an MCP session
// (Mcp-Session-Id), later requests and the GET notification stream use it,
// DELETE ends it. MCP sessions are transport state only; Baton's own sessions
// are named by sessionKey in tool arguments.
@Controller('mcp')
export class StreamableHttpController implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(StreamableHttpController.name);
  private readonly sessions = new Map<string, McpHttpSession>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly factory: McpServerFactory,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.closeIdleSessions(), 60_000).unref();
  }

  @All()
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    // JSON-RPC 2.0: an empty batch is an invalid request, not zero requests.
    if (Array.isArray(req.body) && req.body.length === 0) return reject(res, 400, -32600, 'Invalid Request: the body is an empty batch ([]); send one JSON-RPC message or a batch of at least one.');
    const sessionId = req.header('mcp-session-id');
    if (sessionId === undefined) {
      if (req.method === 'POST' && isInitializeRequest(req.body)) return this.open(req, res);
      return reject(res, 400, -32000, 'Bad request: send initialize first (POST without Mcp-Session-Id), then use the Mcp-Session-Id it returns.');
    }
    const session = this.sessions.get(sessionId);
    if (!session) return reject(res, 404, -32001, `MCP session ${sessionId} is unknown or closed; initialize a new one.`);
    session.lastSeen = Date.now();
    if (req.method === 'GET') {
      session.openStreams++;
      res.once('close', () => session.openStreams--);
    }
    await session.transport.handleRequest(req, res, req.body);
  }

  private async open(req: Request, res: Response): Promise<void> {
    const server = this.factory.create({ namespace: this.config.sessions.defaultNamespace });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, server, lastSeen: Date.now(), openStreams: 0 });
        this.logger.debug({ mcpSessionId: id }, 'MCP session opened');
      },
      onsessionclosed: (id) => {
        this.sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
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
    await Promise.all([...this.sessions.values()].map((s) => s.server.close().catch(() => undefined)));
    this.sessions.clear();
  }
}

function reject(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

// Express error handler for the JSON body parser: a body that is not JSON is
// a JSON-RPC parse error (-32700), any other unreadable body (too large, bad
// charset) an invalid request (-32600), each with the parser's HTTP status.
export function jsonRpcBodyErrors(error: { type?: string; status?: number; message?: string }, _req: Request, res: Response, next: (error?: unknown) => void): void {
  if (typeof error?.type !== 'string' || !/^(entity|charset|encoding)\./.test(error.type)) return next(error);
  if (error.type === 'entity.parse.failed') return reject(res, 400, -32700, `Parse error: the body is not valid JSON (${(error.message ?? '').slice(0, 200)}). Send one JSON-RPC message or a batch as JSON.`);
  reject(res, error.status ?? 400, -32600, `Invalid Request: the body could not be read (${(error.message ?? error.type).slice(0, 200)}).`);
}
