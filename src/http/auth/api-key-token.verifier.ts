import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

import type { ApiKeyVerificationService } from 'src/features/api-keys/api-key-verification.service.js';
import type { ApiKeyRecord, ApiKeyRejection } from 'src/features/api-keys/api-keys.types.js';
import type { Principal } from 'src/platform/access/principal.js';
import { expandScopes } from 'src/platform/access/scopes.js';

// What a rejected key's holder reads in the 401 challenge (no double quotes:
// it is quoted in WWW-Authenticate). An unknown key id and a wrong secret
// read the same.
const REJECTIONS: Record<ApiKeyRejection, string> = {
  malformed: 'the API key is malformed: a Baton API key is baton_, 16 hex characters, _ and 43 letters and digits; send the whole key printed by baton keys create',
  invalid: 'the API key is not valid (unknown key or wrong secret); send the whole key as printed when it was created, or ask for a new one (baton keys create)',
  revoked: 'the API key has been revoked; ask the operator for a new key (baton keys create or baton keys rotate)',
  expired: 'the API key has expired; ask the operator for a new key (baton keys create or baton keys rotate)',
};

// A rejected API key: the reason and, when the token named one, the key id (for the audit trail).
export class ApiKeyRejectedError extends InvalidTokenError {
  constructor(
    readonly reason: ApiKeyRejection,
    readonly keyId: string | undefined,
  ) {
    super(REJECTIONS[reason]);
  }
}

// API keys (`baton keys create`) as Bearer tokens, in the shape the MCP SDK's
// bearer middleware expects from a token verifier.
export class ApiKeyTokenVerifier implements OAuthTokenVerifier {
  constructor(private readonly keys: ApiKeyVerificationService) {}

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const result = await this.keys.verify(token);
    if (!result.ok) throw new ApiKeyRejectedError(result.reason, result.keyId);
    const principal = principalOfKey(result.key);
    return { token, clientId: principal.credentialId, scopes: [...principal.scopes], expiresAt: Math.floor(result.key.expiresAt.getTime() / 1000), extra: { principal } };
  }
}

export function principalOfKey(key: ApiKeyRecord): Principal {
  return { kind: 'api_key', credentialId: `key:${key.id}`, namespace: key.namespace, agents: [...key.agents], scopes: expandScopes([...(key.role === null ? [] : [key.role]), ...key.scopes]) };
}
