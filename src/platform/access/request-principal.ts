import { localPrincipal, type Principal } from 'src/platform/access/principal.js';

// An HTTP request after the bearer middleware: `auth` holds the verified
// credential (as the MCP SDK's transports expect it), with the principal it
// maps to in `extra`. No `auth` means authentication is off.
export interface AuthenticatedRequest {
  auth?: { extra?: Record<string, unknown> };
}

// Where an HTTP request came from, for the audit trail.
export function clientAddress(req: { ip?: string; socket?: { remoteAddress?: string } }): string {
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

export function principalOf(req: AuthenticatedRequest, defaultNamespace: string): Principal {
  return (req.auth?.extra?.principal as Principal | undefined) ?? localPrincipal(defaultNamespace);
}
