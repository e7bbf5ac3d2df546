import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey } from 'jose';

import { issueApiKey } from 'src/platform/access/api-key.js';
import { startProtectedHttpBaton, type ProtectedHttpBaton } from 'test/support/baton-app.js';
import { spawnBaton } from 'test/support/baton-process.js';
import { freePort, type LocalIssuer } from 'test/support/local-issuer.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { callOk } from 'test/support/tool-calls.js';

const SCOPE = 'agent';
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

let baton: ProtectedHttpBaton;
let issuer: LocalIssuer;
let resource: string;
let base: string;
let strangerKey: CryptoKey;

beforeAll(async () => {
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  baton = await startProtectedHttpBaton({ BATON_AUTH_REQUIRED_SCOPES: SCOPE });
  ({ issuer, base, resource } = baton);
});

afterAll(() => baton?.close());

interface TokenOptions {
  claims?: Record<string, unknown>;
  issuer?: string;
  audience?: string;
  expiresIn?: string | number;
  notBefore?: string | number;
  key?: CryptoKey;
  kid?: string;
  alg?: string;
}

function token(options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ scope: SCOPE, client_id: 'e2e-agent', ...options.claims })
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'key-1' })
    .setIssuer(options.issuer ?? issuer.url)
    .setAudience(options.audience ?? resource)
    .setSubject('agent-1')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m');
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return jwt.sign(options.key ?? issuer.privateKey);
}

function initialize(authorization?: string): Promise<Response> {
  return fetch(resource, { method: 'POST', headers: { ...HEADERS, ...(authorization ? { authorization } : {}) }, body: JSON.stringify(INITIALIZE) });
}

function expectChallenge(response: Response, description: string): void {
  expect(response.status).toBe(401);
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
  expect(challenge).toContain(`scope="${SCOPE}"`);
  expect(challenge).toContain('error="invalid_token"');
  expect(challenge).toContain(description);
}

describe('OAuth 2.1 resource server over HTTP', () => {
  it('publishes its protected resource metadata at the root and the /mcp path form', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ resource, authorization_servers: [issuer.url], scopes_supported: [SCOPE], bearer_methods_supported: ['header'], resource_name: 'Baton' });
    }
  });

  it('serves an MCP client that sends a valid access token, tools and all', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { authorization: `Bearer ${await token()}` } } });
    const client = await connectMcpClient(transport, 'oauth-client');
    const created = await callOk<{ sessionKey: string }>(client, 'register_session', { sessionKey: 'oauth-e2e-session', agentId: 'agent-1' });
    expect(created.sessionKey).toBe('oauth-e2e-session');
    await client.close();
  });

  it('serves REST to a valid token and challenges REST without one', async () => {
    const ok = await fetch(`${base}/api/sessions`, { headers: { authorization: `Bearer ${await token()}` } });
    expect(ok.status).toBe(200);
    expectChallenge(await fetch(`${base}/api/sessions`), 'Missing Authorization header');
  });

  it('fetches the issuer\'s keys once and verifies later tokens with the cached keys', async () => {
    expect((await fetch(`${base}/api/sessions`, { headers: { authorization: `Bearer ${await token()}` } })).status).toBe(200);
    const fetches = issuer.jwksFetches();
    expect(fetches).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${base}/api/sessions`, { headers: { authorization: `Bearer ${await token()}` } })).status).toBe(200);
    }
    expect(issuer.jwksFetches()).toBe(fetches);
  });

  it('leaves the health checks open', async () => {
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });

  it.each<[string, () => Promise<string | undefined>, string]>([
    ['no Authorization header', () => Promise.resolve(undefined), 'Missing Authorization header'],
    ['an expired token', async () => `Bearer ${await token({ expiresIn: Math.floor(Date.now() / 1000) - 120 })}`, 'the access token has expired'],
    ['a token not valid yet', async () => `Bearer ${await token({ notBefore: '10m' })}`, 'the access token is not valid yet'],
    ['a token of another issuer', async () => `Bearer ${await token({ issuer: 'https://other-issuer.example' })}`, 'not issued by the trusted authorization server'],
    ['a token for another audience', async () => `Bearer ${await token({ audience: 'https://other-service.example/mcp' })}`, 'not issued for this resource'],
    ['a token with a bad signature', async () => `Bearer ${await token({ key: strangerKey })}`, 'the access token signature is invalid'],
    ['a token signed with an unknown key id', async () => `Bearer ${await token({ key: strangerKey, kid: 'key-unknown' })}`, 'a key the authorization server does not publish'],
    ['an unsigned token (alg none)', () => Promise.resolve(`Bearer ${new UnsecuredJWT({ scope: SCOPE }).setIssuer(issuer.url).setAudience(resource).setExpirationTime('5m').encode()}`), 'a signature algorithm that is not accepted'],
    ['a token that is not a JWT', () => Promise.resolve('Bearer not-a-jwt'), 'the access token is malformed'],
    ['an API key while API keys are off', () => Promise.resolve(`Bearer ${issueApiKey().key}`), 'this server does not accept API keys'],
  ])('answers %s with 401 and the challenge', async (_case, authorization, description) => {
    expectChallenge(await initialize(await authorization()), description);
  });

  it('answers a token without the required scope with 403 insufficient_scope naming the scope', async () => {
    const response = await initialize(`Bearer ${await token({ claims: { scope: 'something:else' } })}`);
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain(`scope="${SCOPE}"`);
  });
});

describe('key rotation', () => {
  // jose fetches the JWKS again for an unknown key id at most once per 30 s.
  const COOLDOWN_MS = 30_000;

  it('accepts a token signed with a key the issuer added after Baton cached its keys', async () => {
    expect((await fetch(`${base}/api/sessions`, { headers: { authorization: `Bearer ${await token()}` } })).status).toBe(200);
    const cachedAt = Date.now();
    const rotated = await generateKeyPair('ES256');
    const rotatedToken = `Bearer ${await token({ key: rotated.privateKey, kid: 'key-2', alg: 'ES256' })}`;
    issuer.keys.push({ ...(await exportJWK(rotated.publicKey)), kid: 'key-2', alg: 'ES256', use: 'sig' });
    await new Promise((done) => setTimeout(done, Math.max(0, cachedAt + COOLDOWN_MS + 1000 - Date.now())));
    const fetches = issuer.jwksFetches();
    expect((await fetch(`${base}/api/sessions`, { headers: { authorization: rotatedToken } })).status).toBe(200);
    expect(issuer.jwksFetches()).toBe(fetches + 1);
  }, 60_000);
});

describe('baton serve without authentication', () => {
  it('refuses to listen beyond loopback unless told so, and says how to fix it', async () => {
    const baton = spawnBaton(['serve'], { BATON_HTTP_HOST: '0.0.0.0', BATON_HTTP_PORT: String(await freePort()) });
    expect(await baton.exitedWithin(15_000)).toBe(2);
    expect(baton.stderr()).toContain('refusing to listen on 0.0.0.0 without authentication');
    expect(baton.stderr()).toContain('BATON_AUTH_ALLOW_UNAUTHENTICATED_NETWORK=true');
    baton.kill();
  });
});
