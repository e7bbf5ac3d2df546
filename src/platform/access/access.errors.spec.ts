import { AccessErrorCode, actingAgent, operatorNamespace } from 'src/platform/access/access.errors.js';
import { localPrincipal, type Principal } from 'src/platform/access/principal.js';
import { expandScopes } from 'src/platform/access/scopes.js';

function credential(agents: string[], role: string, namespace = 'team-a'): Principal {
  return { kind: 'oauth', credentialId: `oauth:${agents[0] ?? 'none'}`, namespace, agents, scopes: expandScopes([role]) };
}

describe('actingAgent', () => {
  it('takes a named agent the credential covers, and refuses one it does not, naming both', () => {
    expect(actingAgent(credential(['ana'], 'agent'), 'ana', 'append')).toBe('ana');
    expect(() => actingAgent(credential(['ana'], 'agent'), 'ben', 'append')).toThrow(expect.objectContaining({ code: AccessErrorCode.AgentNotAllowed, message: expect.stringContaining('may not append as agent "ben": it acts only as ana') }));
  });

  it('fills in the one agent of a credential, asks a credential for several to choose, and leaves it open for the local user and admins', () => {
    expect(actingAgent(credential(['ana'], 'agent'), undefined, 'append')).toBe('ana');
    expect(() => actingAgent(credential(['ana', 'ben'], 'agent'), undefined, 'append')).toThrow(expect.objectContaining({ code: AccessErrorCode.AgentNotAllowed, message: expect.stringContaining('give agentId') }));
    expect(actingAgent(localPrincipal('default'), undefined, 'append')).toBeUndefined();
    expect(actingAgent(credential(['root'], 'admin'), undefined, 'append')).toBeUndefined();
  });
});

describe('operatorNamespace', () => {
  it('keeps an operator in its own namespace, however it asks', () => {
    const operator = credential(['ops'], 'operator');
    expect(operatorNamespace(operator, undefined)).toBe('team-a');
    expect(operatorNamespace(operator, 'team-a')).toBe('team-a');
    for (const other of ['team-b', '*']) {
      expect(() => operatorNamespace(operator, other)).toThrow(expect.objectContaining({ code: AccessErrorCode.InsufficientScope, details: { requiredScope: 'admin' } }));
    }
    expect(() => operatorNamespace(localPrincipal('default'), 'team-b')).toThrow(expect.objectContaining({ code: AccessErrorCode.InsufficientScope }));
  });

  it('lets an admin name another namespace, or every one as null', () => {
    const admin = credential(['root'], 'admin');
    expect(operatorNamespace(admin, 'team-b')).toBe('team-b');
    expect(operatorNamespace(admin, '*')).toBeNull();
  });
});
