import { Inject, Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { isLoopback } from 'src/http/loopback.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

// What a browser MCP client sends and must read (Streamable HTTP, OAuth).
const CORS_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Last-Event-ID'];
const CORS_EXPOSED_HEADERS = ['Mcp-Session-Id', 'WWW-Authenticate', 'Retry-After'];
const CORS_MAX_AGE_SECONDS = 600;

// DNS-rebinding and cross-site defence for every HTTP route (/mcp, /api,
// /health): the Host header must name this server, and a browser Origin must
// be one the operator allowed (or a loopback page, when Baton itself only
// listens on loopback). Says at start what it checks and what it does not.
@Injectable()
export class OriginGuardMiddleware implements NestMiddleware {
  private readonly logger = new Logger(OriginGuardMiddleware.name);
  private readonly checkHost?: RequestHandler;
  private readonly loopbackOnly: boolean;
  // Only reached for origins allowed above, so it may echo the origin.
  private readonly cors = cors({ origin: true, methods: ['GET', 'POST', 'DELETE'], allowedHeaders: CORS_REQUEST_HEADERS, exposedHeaders: CORS_EXPOSED_HEADERS, maxAge: CORS_MAX_AGE_SECONDS });

  constructor(@Inject(BATON_CONFIG) private readonly config: BatonConfig) {
    this.loopbackOnly = isLoopback(config.http.host);
    const hosts = [...(this.loopbackOnly ? LOOPBACK_NAMES : []), ...config.http.allowedHosts];
    if (hosts.length > 0) this.checkHost = hostHeaderValidation(hosts) as RequestHandler;
    this.describeChecks(hosts);
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin)) {
      res.status(403).json({ jsonrpc: '2.0', error: { code: -32000, message: `Origin ${origin.slice(0, 200)} is not allowed; add it to BATON_ALLOWED_ORIGINS.` }, id: null });
      return;
    }
    // A browser page of an allowed origin gets CORS answers (preflights end here).
    const then = origin === undefined ? next : () => this.cors(req, res, next);
    if (this.checkHost) this.checkHost(req, res, then);
    else then();
  }

  private originAllowed(origin: string): boolean {
    if (this.config.http.allowedOrigins.includes(origin)) return true;
    if (!this.loopbackOnly) return false;
    try {
      return LOOPBACK_NAMES.includes(new URL(origin).hostname);
    } catch {
      return false;
    }
  }

  private describeChecks(hosts: string[]): void {
    const { host, allowedOrigins } = this.config.http;
    const origins = allowedOrigins.length > 0 ? allowedOrigins.join(', ') : 'none set';
    const originRule = this.loopbackOnly
      ? `a browser Origin must be a loopback page or one of BATON_ALLOWED_ORIGINS (${origins})`
      : `a browser Origin must be one of BATON_ALLOWED_ORIGINS (${origins})`;
    const context = { host, allowedHosts: hosts, allowedOrigins };
    if (this.checkHost) {
      this.logger.log(context, `HTTP requests on every route: the Host header must be one of ${hosts.join(', ')}; ${originRule}; requests without an Origin header (MCP clients, curl) are accepted.`);
      return;
    }
    this.logger.warn(
      context,
      `Listening on ${host} with no BATON_ALLOWED_HOSTS: Host headers are NOT checked, so DNS rebinding is not blocked (set BATON_ALLOWED_HOSTS to the names clients use). ` +
        `Still checked on every route: ${originRule}; requests without an Origin header (MCP clients, curl) are accepted.`,
    );
  }
}
