import type { AccessError } from 'src/platform/access/access.errors.js';
import type { Principal } from 'src/platform/access/principal.js';
import type { AuditRecord } from 'src/platform/audit/audit-trail.js';

// The audit record of a refused request: what it asked for (a tool, a
// resource URI, a route) and the scope or the agent it lacked. Who and where
// are passed in, as a refusal may happen before the request has a context.
export function accessDeniedRecord(error: AccessError, target: string, principal: Principal, source: string): AuditRecord {
  const { agentId, requiredScope } = error.details ?? {};
  return {
    action: 'access.denied',
    outcome: 'denied',
    target,
    namespace: principal.namespace,
    credentialId: principal.credentialId,
    source,
    agentId: typeof agentId === 'string' ? agentId : undefined,
    detail: { code: error.code, ...(typeof requiredScope === 'string' ? { requiredScope } : {}) },
  };
}
