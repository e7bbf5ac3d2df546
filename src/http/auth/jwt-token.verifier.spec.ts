import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

import { JwtTokenVerifier } from 'src/http/auth/jwt-token.verifier.js';

const ISSUER = 'https://id.example';
const RESOURCE = 'https://baton.example/mcp';
const CLAIMS = { namespaceClaim: 'baton_namespace', agentsClaim: 'baton_agents', defaultNamespace: 'default' };

describe('JwtTokenVerifier', () => {
  it('answers a server error naming the fix when the issuer cannot be reached, and tries again on the next token', async () => {
    const verifier = new JwtTokenVerifier({ issuer: 'http://127.0.0.1:1', resource: RESOURCE, ...CLAIMS });
    for (let attempt = 0; attempt < 2; attempt++) {
      const failure = verifier.verifyAccessToken('any');
      await expect(failure).rejects.toBeInstanceOf(ServerError);
      await expect(failure).rejects.toThrow('set BATON_AUTH_JWKS_URL');
    }
  });

  it('uses BATON_AUTH_JWKS_URL without discovery and maps the token to the caller, its scopes and expiry', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
    const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify(jwks)));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const verifier = new JwtTokenVerifier({ issuer: ISSUER, resource: RESOURCE, jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/keys`, ...CLAIMS });
      const token = await new SignJWT({ scp: ['sessions:read', 'sessions:write'], azp: 'ci-client' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(ISSUER).setAudience(RESOURCE).setSubject('agent-7').setExpirationTime('1h').sign(privateKey);
      const info = await verifier.verifyAccessToken(token);
      expect(info).toMatchObject({ clientId: 'ci-client', scopes: ['sessions:read', 'sessions:write'], resource: new URL(RESOURCE), extra: { subject: 'agent-7', principal: { kind: 'oauth', credentialId: 'oauth:agent-7', namespace: 'default', agents: ['agent-7'] } } });
      expect(info.expiresAt).toBeGreaterThan(Date.now() / 1000);
      const noExpiry = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(ISSUER).setAudience(RESOURCE).sign(privateKey);
      await expect(verifier.verifyAccessToken(noExpiry)).rejects.toBeInstanceOf(InvalidTokenError);
    } finally {
      server.close();
    }
  });
});
