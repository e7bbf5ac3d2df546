import { localPrincipal, type Principal } from 'src/platform/access/principal.js';
import { roleOf } from 'src/platform/access/principal-role.js';
import { expandScopes } from 'src/platform/access/scopes.js';

function holding(...names: string[]): Principal {
  return { kind: 'oauth', credentialId: 'oauth:x', namespace: 'ns', agents: ['x'], scopes: expandScopes(names) };
}

describe('roleOf', () => {
  it('names the narrowest role that covers every scope the credential carries', () => {
    expect(roleOf(holding('sessions:read'))).toBe('reader');
    expect(roleOf(holding('reader'))).toBe('reader');
    expect(roleOf(holding('sessions:read', 'sessions:write'))).toBe('agent');
    expect(roleOf(holding('agent'))).toBe('agent');
    expect(roleOf(holding('audit:read'))).toBe('operator');
    expect(roleOf(holding('operator'))).toBe('operator');
    expect(roleOf(holding('admin'))).toBe('admin');
  });

  it('names the local user apart from every role', () => {
    expect(roleOf(localPrincipal('ns'))).toBe('local');
  });
});
