import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { clientAddress, principalOf, type AuthenticatedRequest } from 'src/platform/access/request-principal.js';
import { LimitError } from 'src/platform/limits/limits.errors.js';
import { RateLimiterService } from 'src/platform/limits/rate-limiter.service.js';
import { RefusalAudit } from 'src/platform/limits/refusal-audit.js';
import { boundDetails } from 'src/platform/input/input-guard.js';

// A caller over its in-flight cap retries after this long.
const OVERLOAD_RETRY_AFTER_SECONDS = 1;

// Abuse limits of /mcp and /api, after authentication: requests in progress
// per credential on this process (one more is answered 503 at once instead of
// queueing), and the credential's HTTP request rate (429). Both answers carry
// Retry-After. The local user has no in-flight cap, and a rate only where
// BATON_HTTP_RATE_LIMITS names `local`.
@Injectable()
export class RequestLimitsMiddleware implements NestMiddleware {
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly limits: RateLimiterService,
    private readonly refusals: RefusalAudit,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  use(req: Request & AuthenticatedRequest, res: Response, next: NextFunction): void {
    const principal = principalOf(req, this.config.sessions.defaultNamespace);
    // An open notification stream is an MCP session's, capped with sessions.
    if (principal.kind !== 'local' && !isNotificationStream(req)) {
      const overloaded = this.enter(principal.credentialId, res);
      if (overloaded) {
        this.refusals.refused(principal, 'limit.overloaded', { ...overloaded.details }, clientAddress(req));
        return refuse(req, res, 503, overloaded);
      }
    }
    this.limits.takeHttpRequest(principal).then((limited) => (limited ? refuse(req, res, 429, limited) : next()), next);
  }

  private enter(credentialId: string, res: Response): LimitError | undefined {
    const count = this.inFlight.get(credentialId) ?? 0;
    if (count >= this.config.limits.maxInFlightPerCredential) return LimitError.overloaded(count, OVERLOAD_RETRY_AFTER_SECONDS);
    this.inFlight.set(credentialId, count + 1);
    res.once('close', () => {
      const left = (this.inFlight.get(credentialId) ?? 1) - 1;
      if (left > 0) this.inFlight.set(credentialId, left);
      else this.inFlight.delete(credentialId);
    });
    return undefined;
  }
}

function isNotificationStream(req: Request): boolean {
  return req.method === 'GET' && req.originalUrl.startsWith('/mcp');
}

// /mcp answers in JSON-RPC, /api in Baton's REST error body.
function refuse(req: Request, res: Response, status: number, error: LimitError): void {
  const details = boundDetails(error.details ?? {});
  if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  if (req.originalUrl.startsWith('/mcp')) res.status(status).json({ jsonrpc: '2.0', error: { code: -32000, message: error.message, data: { code: error.code, ...details } }, id: null });
  else res.status(status).json({ error: { code: error.code, message: error.message, details } });
}
