import { localPrincipal, type Principal } from 'src/platform/access/principal.js';

// An HTTP request after the bearer middleware: `auth` holds the verified
// credential (as the MCP SDK's transports expect it), with the principal it
// maps to in `extra`. No `auth` means authentication is off.
export interface AuthenticatedRequest {
  auth?: { extra?: Record<string, unknown> };
}

export function principalOf(req: AuthenticatedRequest, defaultNamespace: string): Principal {
  return (req.auth?.extra?.principal as Principal | undefined) ?? localPrincipal(defaultNamespace);
}
