import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { ApiKeyVerificationService } from 'src/features/api-keys/api-key-verification.service.js';
import { ApiKeyRejectedError, ApiKeyTokenVerifier } from 'src/http/auth/api-key-token.verifier.js';
import { JwtTokenVerifier } from 'src/http/auth/jwt-token.verifier.js';
import { VerifiedTokenCache } from 'src/http/auth/verified-token.cache.js';
import { looksLikeApiKey } from 'src/platform/access/api-key.js';
import { clientAddress } from 'src/platform/access/request-principal.js';
import { AuditTrail } from 'src/platform/audit/audit-trail.js';

const KEYS_OFF = 'this server does not accept API keys (BATON_AUTH_API_KEYS is off); send an OAuth access token from its authorization server';

type BearerOptions = Omit<Parameters<typeof requireBearerAuth>[0], 'verifier'>;

interface Scheme {
  readonly verifier: OAuthTokenVerifier;
  readonly options: BearerOptions;
  readonly credential: 'oauth' | 'api_key';
}

// /mcp and /api need a Bearer token: an OAuth 2.1 access token from the
// configured issuer, for this server's canonical URI (BATON_AUTH_ISSUER), or
// a Baton API key (BATON_AUTH_API_KEYS). Anything else gets 401 with a
// challenge (pointing at the protected resource metadata when OAuth is on),
// and every rejected credential is recorded as `auth.failed`. With neither
// setting (loopback development) every request passes.
@Injectable()
export class BearerAuthMiddleware implements NestMiddleware {
  private readonly oauth?: Scheme;
  private readonly apiKeys?: Scheme;

  constructor(
    @Inject(BATON_CONFIG) config: BatonConfig,
    keys: ApiKeyVerificationService,
    private readonly audit: AuditTrail,
  ) {
    const { issuer, resource, jwksUrl, requiredScopes, namespaceClaim, agentsClaim } = config.auth;
    const oauthOn = issuer !== undefined && resource !== undefined;
    const resourceMetadataUrl = oauthOn ? getOAuthProtectedResourceMetadataUrl(new URL(resource)) : undefined;
    if (oauthOn) {
      this.oauth = {
        verifier: new VerifiedTokenCache(new JwtTokenVerifier({ issuer, resource, jwksUrl, namespaceClaim, agentsClaim, defaultNamespace: config.sessions.defaultNamespace })),
        options: { requiredScopes, expectedResource: new URL(resource), resourceMetadataUrl },
        credential: 'oauth',
      };
    }
    if (config.auth.apiKeys) this.apiKeys = { verifier: new ApiKeyTokenVerifier(keys), options: { resourceMetadataUrl }, credential: 'api_key' };
    // OAuth alone: an API key is refused as such, not as a malformed access token.
    else if (this.oauth) this.apiKeys = { verifier: { verifyAccessToken: () => Promise.reject(new InvalidTokenError(KEYS_OFF)) }, options: this.oauth.options, credential: 'api_key' };
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const scheme = token !== undefined && looksLikeApiKey(token) && this.apiKeys ? this.apiKeys : (this.oauth ?? this.apiKeys);
    if (scheme === undefined) return next();
    const verified: NextFunction = (error?: unknown) => {
      if (error === undefined) withoutCredential(req);
      next(error);
    };
    void (requireBearerAuth({ ...scheme.options, verifier: this.audited(scheme, req) }) as RequestHandler)(req, res, verified);
  }

  // The scheme's verifier, recording each credential it rejects with where it came from.
  private audited(scheme: Scheme, req: Request): OAuthTokenVerifier {
    return {
      verifyAccessToken: async (token) => {
        try {
          return await scheme.verifier.verifyAccessToken(token);
        } catch (error) {
          if (error instanceof InvalidTokenError) {
            const keyId = error instanceof ApiKeyRejectedError ? error.keyId : undefined;
            await this.audit.record({
              action: 'auth.failed',
              outcome: 'denied',
              source: clientAddress(req),
              credentialId: keyId === undefined ? undefined : `key:${keyId}`,
              detail: { credential: scheme.credential, reason: error instanceof ApiKeyRejectedError ? error.reason : error.message, path: req.originalUrl.split('?')[0] },
            });
          }
          throw error;
        }
      },
    };
  }
}

// Once verified, the credential is not handed on: what runs after this
// middleware (MCP handlers, whose request info copies every header, and the
// request log) works from the principal in `req.auth`, never the token.
function withoutCredential(req: Request): void {
  delete req.headers.authorization;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'authorization') {
      raw.splice(i, 2);
      i -= 2;
    }
  }
}
