import { Inject, Injectable, Logger } from '@nestjs/common';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { BearerAuthMiddleware } from 'src/http/auth/bearer-auth.middleware.js';
import { OriginGuardMiddleware } from 'src/http/origin-guard.middleware.js';
import { RequestLimitsMiddleware } from 'src/http/request-limits.middleware.js';
import { securityHeaders } from 'src/http/security-headers.js';
import { logRequest } from 'src/platform/logging/request-log.js';
import { inRequest } from 'src/platform/logging/request-scope.js';
import { rejectJsonRpc, StreamableHttpEndpoint } from 'src/mcp/transports/streamable-http.endpoint.js';

type ErrorHandler = (error: unknown, req: Request, res: Response, next: NextFunction) => void;

// Entries may be as large as maxEntryBytes once JSON-escaped; the entry size
// check, not the body parser, must be what rejects them.
export function jsonBodyLimit(config: BatonConfig): number {
  return Math.max(1024 * 1024, config.limits.maxEntryBytes * 8);
}

// /mcp, served ahead of Express's router and Nest's middleware: every tool
// call comes this way, and walking the router's layers with Nest's wrappers
// (and pino-http's child logger per request) cost about a sixth of Baton's
// CPU per call. The steps are those every route has, composed once: the
// request line, security headers, the Host and Origin checks, the bearer
// token, the request limits, the JSON body, then the MCP endpoint. Mounted
// as the first Express middleware; any other path goes on to Nest. The
// steps are chained here rather than as the handlers of one Express route,
// which measured about 4% more CPU per call (docs/benchmarks.md).
// The paths Express's router matched for Nest's /mcp route: one trailing
// slash allowed, any letter case, any query string (req.path leaves it out).
const MCP_PATH = /^\/mcp\/?$/i;

@Injectable()
export class StreamableHttpRoute {
  private readonly logger = new Logger(StreamableHttpRoute.name);
  private readonly steps: RequestHandler[];

  constructor(
    origin: OriginGuardMiddleware,
    bearer: BearerAuthMiddleware,
    limits: RequestLimitsMiddleware,
    private readonly endpoint: StreamableHttpEndpoint,
    @Inject(BATON_CONFIG) config: BatonConfig,
  ) {
    this.steps = [
      securityHeaders(),
      (req, res, next) => origin.use(req, res, next),
      (req, res, next) => bearer.use(req, res, next),
      (req, res, next) => limits.use(req, res, next),
      // Read only for a caller that may make the request: a stranger's body
      // is neither buffered nor parsed.
      express.json({ limit: jsonBodyLimit(config) }),
    ];
  }

  readonly handler: RequestHandler = (req, res, next) => {
    if (!MCP_PATH.test(req.path)) return next();
    // Every line logged while the request is served (a tool's warnings, a
    // failure) carries its id, as its request line does.
    inRequest(logRequest(req, res), () => this.step(0, req, res));
  };

  private step(at: number, req: Request, res: Response): void {
    const step = this.steps[at];
    if (step === undefined) {
      this.endpoint.handle(req, res).catch((error: unknown) => this.failed(error, req, res));
      return;
    }
    let called = false;
    const next: NextFunction = (error?: unknown) => {
      if (called) return;
      called = true;
      if (error !== undefined) return jsonRpcBodyErrors(error, req, res, (other) => this.failed(other, req, res));
      this.step(at + 1, req, res);
    };
    try {
      void step(req, res, next);
    } catch (error) {
      this.failed(error, req, res);
    }
  }

  private failed(error: unknown, req: Request, res: Response): void {
    this.logger.error({ err: (error as Error)?.message ?? String(error), method: req.method }, 'MCP request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    rejectJsonRpc(res, 500, -32603, 'Internal error: the server could not handle this request; it is logged. Retry, and report it if it persists.');
  }
}

interface BodyError {
  type?: string;
  status?: number;
  message?: string;
}

// Express error handler for the JSON body parser: a body that is not JSON is
// a JSON-RPC parse error (-32700), any other unreadable body (too large, bad
// charset) an invalid request (-32600), each with the parser's HTTP status.
export const jsonRpcBodyErrors: ErrorHandler = (error, _req, res, next) => {
  const body = error as BodyError | undefined;
  if (typeof body?.type !== 'string' || !/^(entity|charset|encoding)\./.test(body.type)) return next(error);
  if (body.type === 'entity.parse.failed') return rejectJsonRpc(res, 400, -32700, `Parse error: the body is not valid JSON (${(body.message ?? '').slice(0, 200)}). Send one JSON-RPC message or a batch as JSON.`);
  rejectJsonRpc(res, body.status ?? 400, -32600, `Invalid Request: the body could not be read (${(body.message ?? body.type).slice(0, 200)}).`);
};
