import { DomainError } from 'src/platform/errors/domain-error.js';
import { actsAcrossNamespaces, describeAgents, mayActAs, type Principal } from 'src/platform/access/principal.js';
import type { Scope } from 'src/platform/access/scopes.js';
import { echo } from 'src/platform/input/input-guard.js';

export enum AccessErrorCode {
  AgentNotAllowed = 'AGENT_NOT_ALLOWED',
  InsufficientScope = 'INSUFFICIENT_SCOPE',
}

export class AccessError extends DomainError<AccessErrorCode> {
  static agentNotAllowed(principal: Principal, agentId: string, action: string): AccessError {
    return new AccessError(
      AccessErrorCode.AgentNotAllowed,
      `This credential may not ${action} as agent "${echo(agentId)}": it acts only as ${describeAgents(principal)}. Use your own agent id, or a credential issued for "${echo(agentId)}".`,
      { agentId, allowedAgents: principal.agents === 'any' ? 'any' : [...principal.agents] },
    );
  }

  static agentRequired(principal: Principal, action: string): AccessError {
    return new AccessError(AccessErrorCode.AgentNotAllowed, `This credential acts as several agents (${describeAgents(principal)}): give agentId to say which one you ${action} as.`, {
      allowedAgents: principal.agents === 'any' ? 'any' : [...principal.agents],
    });
  }

  static insufficientScope(scope: Scope, what: string): AccessError {
    return new AccessError(AccessErrorCode.InsufficientScope, `${what} needs the ${scope} scope, which this credential does not carry. Ask the operator for a credential with ${scope} (or a role that includes it).`, { requiredScope: scope });
  }
}

// Throws unless the principal may act as the agent.
export function assertMayActAs(principal: Principal, agentId: string, action: string): void {
  if (!mayActAs(principal, agentId)) throw AccessError.agentNotAllowed(principal, agentId, action);
}

// The agent a call acts as: the one it names, which the principal must cover;
// when it names none, the principal's only agent (a credential for several
// agents must say which), or none for a principal that acts as any agent.
export function actingAgent(principal: Principal, agentId: string | undefined, action: string): string | undefined {
  if (agentId !== undefined) {
    assertMayActAs(principal, agentId, action);
    return agentId;
  }
  if (principal.agents === 'any' || principal.scopes.has('admin')) return undefined;
  if (principal.agents.length === 1) return principal.agents[0];
  throw AccessError.agentRequired(principal, action);
}

// How an admin names every namespace where a tool takes one.
export const ALL_NAMESPACES = '*';

// The namespace an operator action covers: the caller's own, unless it names
// another one or all of them (`*`, returned as null), which only admins may.
export function operatorNamespace(principal: Principal, requested: string | undefined): string | null {
  if (requested === undefined || requested === principal.namespace) return principal.namespace;
  if (!actsAcrossNamespaces(principal)) {
    throw AccessError.insufficientScope('admin', requested === ALL_NAMESPACES ? 'Acting on every namespace' : `Acting on namespace "${echo(requested)}"`);
  }
  return requested === ALL_NAMESPACES ? null : requested;
}
