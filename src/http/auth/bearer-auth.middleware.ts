import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { JwtTokenVerifier } from 'src/http/auth/jwt-token.verifier.js';
import { VerifiedTokenCache } from 'src/http/auth/verified-token.cache.js';

// OAuth 2.1 resource server for /mcp and /api: a request without a valid
// access token from the configured issuer, for this server's canonical URI,
// gets 401 with a challenge pointing at the protected resource metadata.
// Without BATON_AUTH_ISSUER (loopback development) every request passes.
@Injectable()
export class BearerAuthMiddleware implements NestMiddleware {
  private readonly check?: RequestHandler;

  constructor(@Inject(BATON_CONFIG) config: BatonConfig) {
    const { issuer, resource, jwksUrl, requiredScopes, namespaceClaim, agentsClaim } = config.auth;
    if (issuer === undefined || resource === undefined) return;
    this.check = requireBearerAuth({
      verifier: new VerifiedTokenCache(new JwtTokenVerifier({ issuer, resource, jwksUrl, namespaceClaim, agentsClaim, defaultNamespace: config.sessions.defaultNamespace })),
      requiredScopes,
      expectedResource: new URL(resource),
      resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(new URL(resource)),
    }) as RequestHandler;
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (this.check) void this.check(req, res, next);
    else next();
  }
}
