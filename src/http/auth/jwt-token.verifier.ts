import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { NAMESPACE_NAME, type Principal } from 'src/platform/access/principal.js';
import { expandScopes } from 'src/platform/access/scopes.js';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

// Signature algorithms an authorization server signs access tokens with.
// Symmetric ones and `none` are refused: a shared secret would let Baton mint tokens.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const METADATA_TIMEOUT_MS = 5000;

export interface JwtVerifierSettings {
  readonly issuer: string;
  // The canonical URI of Baton's MCP endpoint: the audience every token must name.
  readonly resource: string;
  readonly jwksUrl?: string;
  // Claims that map the token to Baton's namespace and agent ids.
  readonly namespaceClaim: string;
  readonly agentsClaim: string;
  readonly defaultNamespace: string;
}

// Access tokens as JWTs signed by the configured issuer, its keys fetched
// from its JWKS (cached, and fetched again when a token names an unknown key
// id, so the issuer can rotate keys).
export class JwtTokenVerifier implements OAuthTokenVerifier {
  private keys?: Promise<JWTVerifyGetKey>;

  constructor(private readonly settings: JwtVerifierSettings) {}

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer: this.settings.issuer, audience: this.settings.resource, algorithms: ALGORITHMS, requiredClaims: ['exp'] }));
    } catch (error) {
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) throw new ServerError('the authorization server\'s signing keys could not be fetched; try again later');
      throw new InvalidTokenError(describeRejection(error));
    }
    const clientId = stringClaim(payload, 'client_id') ?? stringClaim(payload, 'azp') ?? payload.sub ?? 'unknown';
    const scopes = scopesOf(payload);
    return { token, clientId, scopes, expiresAt: payload.exp, resource: new URL(this.settings.resource), extra: { subject: payload.sub, principal: this.principalOf(payload, clientId, scopes) } };
  }

  // The namespace and agents a token's claims name; a namespace claim that is
  // not a valid namespace name is refused rather than mapped to the default.
  private principalOf(payload: JWTPayload, clientId: string, scopes: string[]): Principal {
    const { namespaceClaim, agentsClaim, defaultNamespace } = this.settings;
    const namespace = payload[namespaceClaim] ?? defaultNamespace;
    if (typeof namespace !== 'string' || !NAMESPACE_NAME.test(namespace)) throw new InvalidTokenError(`the access token's ${namespaceClaim} claim is not a namespace name (1-128 characters of A-Z a-z 0-9 . _ : -)`);
    const claimed = payload[agentsClaim];
    const agents = typeof claimed === 'string' ? [claimed] : Array.isArray(claimed) ? claimed.filter((a): a is string => typeof a === 'string') : payload.sub !== undefined ? [payload.sub] : [];
    return { kind: 'oauth', credentialId: `oauth:${payload.sub ?? clientId}`, namespace, agents, scopes: expandScopes(scopes) };
  }

  private keySet(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.discoverJwksUrl().then((url) => createRemoteJWKSet(new URL(url)));
    // A failed discovery is tried again by the next request.
    this.keys.catch(() => (this.keys = undefined));
    return this.keys.catch(() => {
      throw new ServerError('the authorization server\'s metadata could not be fetched to find its signing keys; try again later, or set BATON_AUTH_JWKS_URL');
    });
  }

  // The jwks_uri of the issuer's metadata: RFC 8414 first, then OpenID Connect discovery.
  private async discoverJwksUrl(): Promise<string> {
    if (this.settings.jwksUrl !== undefined) return this.settings.jwksUrl;
    const issuer = new URL(this.settings.issuer);
    const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '');
    const candidates = [new URL(`/.well-known/oauth-authorization-server${path}`, issuer), new URL(`${path}/.well-known/openid-configuration`, issuer)];
    for (const url of candidates) {
      const response = await fetch(url, { signal: AbortSignal.timeout(METADATA_TIMEOUT_MS), headers: { accept: 'application/json' } }).catch(() => undefined);
      if (!response?.ok) continue;
      const metadata = (await response.json().catch(() => undefined)) as { issuer?: unknown; jwks_uri?: unknown } | undefined;
      if (metadata?.issuer === this.settings.issuer && typeof metadata.jwks_uri === 'string') return metadata.jwks_uri;
    }
    throw new Error(`no metadata naming issuer ${this.settings.issuer} and a jwks_uri at ${candidates.map(String).join(' or ')}`);
  }
}

function describeRejection(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return 'the access token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'the access token was not issued by the trusted authorization server';
    if (error.claim === 'aud') return 'the access token was not issued for this resource (its audience is not this server)';
    if (error.claim === 'nbf') return 'the access token is not valid yet';
    return `the access token's ${error.claim} claim is invalid (${error.reason})`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return 'the access token is signed with a key the authorization server does not publish';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the access token uses a signature algorithm that is not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the access token signature is invalid';
  return 'the access token is malformed';
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' ? value : undefined;
}

// `scope` (RFC 9068, space-separated) or `scp` (a list, as some providers send).
function scopesOf(payload: JWTPayload): string[] {
  const { scope, scp } = payload;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  return [];
}
