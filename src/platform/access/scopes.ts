// What a credential may do. Every tool and resource names the one scope it
// needs; tools/list and resources/list show a caller only what it may use.
export const SCOPES = [
  // Read sessions, their context, summaries and codebase analyses.
  'sessions:read',
  // Register sessions and append to them (as an agent the credential covers).
  'sessions:write',
  // List handoffs and read their packages (addressed to or from the caller's agents).
  'handoffs:read',
  // Request, accept, reject and complete handoffs.
  'handoffs:write',
  // Start and cancel codebase analyses.
  'codebase:analyze',
  // Lifecycle status, sweeps, job retries and legal holds, in the caller's namespace.
  'lifecycle:operate',
  // Read the audit trail of the caller's namespace.
  'audit:read',
  // Everything, in every namespace, as any agent.
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

// Roles bundle scopes. A credential may carry a role name where a scope is
// expected (an API key's role, or a role name among a token's scopes).
export const ROLES = {
  reader: ['sessions:read', 'handoffs:read'],
  agent: ['sessions:read', 'handoffs:read', 'sessions:write', 'handoffs:write', 'codebase:analyze'],
  operator: ['sessions:read', 'handoffs:read', 'sessions:write', 'handoffs:write', 'codebase:analyze', 'lifecycle:operate', 'audit:read'],
  admin: [...SCOPES],
} as const satisfies Record<string, readonly Scope[]>;

export type Role = keyof typeof ROLES;
export const ROLE_NAMES = Object.keys(ROLES) as Role[];

const known = new Set<string>(SCOPES);

export function isScope(value: string): value is Scope {
  return known.has(value);
}

export function isRole(value: string): value is Role {
  return Object.hasOwn(ROLES, value);
}

// The scopes granted by a list of scope and role names; names Baton does not
// know (a provider's own scopes such as `openid`) grant nothing.
export function expandScopes(granted: Iterable<string>): ReadonlySet<Scope> {
  const scopes = new Set<Scope>();
  for (const name of granted) {
    if (isRole(name)) ROLES[name].forEach((scope) => scopes.add(scope));
    else if (isScope(name)) scopes.add(name);
  }
  if (scopes.has('admin')) SCOPES.forEach((scope) => scopes.add(scope));
  return scopes;
}
