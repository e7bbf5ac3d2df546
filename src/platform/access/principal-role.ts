import type { Principal } from 'src/platform/access/principal.js';
import { ROLES, type Scope } from 'src/platform/access/scopes.js';

export type Role = keyof typeof ROLES;

const NARROWEST_FIRST = ['reader', 'agent', 'operator'] as const;

// The narrowest role whose scopes cover every scope the credential carries
// (what rate limits are set by); `local` for the local user.
export function roleOf(principal: Principal): Role | 'local' {
  if (principal.kind === 'local') return 'local';
  if (principal.scopes.has('admin')) return 'admin';
  for (const role of NARROWEST_FIRST) {
    const covered: readonly Scope[] = ROLES[role];
    if ([...principal.scopes].every((scope) => covered.includes(scope))) return role;
  }
  return 'admin';
}
