import { expandScopes, type Scope } from 'src/platform/access/scopes.js';

// What a credential's namespace may be called (BATON_NAMESPACE follows the same rule).
export const NAMESPACE_NAME = /^[A-Za-z0-9._:-]{1,128}$/;

export type CredentialKind = 'local' | 'oauth' | 'api_key';

// Who is calling: the credential, the one namespace it belongs to, the
// agent ids it may act as, and its scopes. Built once per request (HTTP) or
// per process (stdio) and passed to every tool and resource.
export interface Principal {
  readonly kind: CredentialKind;
  // Stable id of the credential: `local`, `oauth:<subject or client>`, `key:<key id>`.
  readonly credentialId: string;
  readonly namespace: string;
  // `any` for the local user and admins; otherwise the agent ids it covers.
  readonly agents: 'any' | readonly string[];
  readonly scopes: ReadonlySet<Scope>;
}

// stdio, and HTTP with authentication off on loopback: the local user, who
// owns everything in the configured namespace (but no other namespace).
export function localPrincipal(namespace: string): Principal {
  const scopes = new Set(expandScopes(['admin']));
  scopes.delete('admin');
  return { kind: 'local', credentialId: 'local', namespace, agents: 'any', scopes };
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has('admin') || principal.scopes.has(scope);
}

// Only admins act on other namespaces (operator tools, audit).
export function actsAcrossNamespaces(principal: Principal): boolean {
  return principal.scopes.has('admin');
}

// The installation's own figures (the shared job queue, its failed jobs, the
// start-up check) are for admins and for the local user, who runs it.
export function seesInstallation(principal: Principal): boolean {
  return principal.kind === 'local' || actsAcrossNamespaces(principal);
}

export function mayActAs(principal: Principal, agentId: string): boolean {
  return principal.agents === 'any' || principal.scopes.has('admin') || principal.agents.includes(agentId);
}

export function describeAgents(principal: Principal): string {
  return principal.agents === 'any' ? 'any agent' : principal.agents.length === 0 ? 'no agent' : principal.agents.join(', ');
}
