import type { BatonConfig } from 'src/config/config.schema.js';
import { isLoopback } from 'src/http/loopback.js';

// What stops `baton serve` from starting with its authentication settings:
// half-configured OAuth, or no authentication (neither OAuth nor API keys)
// on a non-loopback address without the operator's explicit acknowledgement.
export function httpAuthProblems(config: BatonConfig): string[] {
  const { issuer, resource, jwksUrl, requiredScopes, apiKeys, allowUnauthenticatedNetwork } = config.auth;
  if (issuer !== undefined) {
    return resource === undefined ? ['BATON_AUTH_ISSUER is set but BATON_AUTH_RESOURCE is not: set it to the canonical URI of this server\'s MCP endpoint (e.g. https://baton.example.com/mcp), the audience access tokens must carry'] : [];
  }
  const stray = Object.entries({ BATON_AUTH_RESOURCE: resource, BATON_AUTH_JWKS_URL: jwksUrl, BATON_AUTH_REQUIRED_SCOPES: requiredScopes.length > 0 ? requiredScopes : undefined })
    .filter(([, value]) => value !== undefined)
    .map(([name]) => `${name} is set but BATON_AUTH_ISSUER is not, so OAuth is off: set BATON_AUTH_ISSUER to the authorization server's issuer URL, or unset ${name}`);
  if (stray.length > 0) return stray;
  if (apiKeys || isLoopback(config.http.host) || allowUnauthenticatedNetwork) return [];
  return [
    `refusing to listen on ${config.http.host} without authentication: anyone who reaches the port could read and change every session. ` +
      'Set BATON_AUTH_ISSUER and BATON_AUTH_RESOURCE to accept OAuth access tokens, set BATON_AUTH_API_KEYS=true to accept API keys made with `baton keys create`, listen on a loopback address (BATON_HTTP_HOST=127.0.0.1), ' +
      'or set BATON_AUTH_ALLOW_UNAUTHENTICATED_NETWORK=true if a proxy in front of Baton authenticates every request.',
  ];
}
