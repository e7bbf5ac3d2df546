import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

import { jest } from '@jest/globals';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SignJWT } from 'jose';

import { ApiKeysService } from 'src/features/api-keys/api-keys.service.js';
import { AuditTrail } from 'src/platform/audit/audit-trail.js';
import { startProtectedHttpBaton, type ProtectedHttpBaton } from 'test/support/baton-app.js';
import type { LocalIssuer } from 'test/support/local-issuer.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { callOk } from 'test/support/tool-calls.js';

// Clients Baton did not write, with credentials: the SDK client with an OAuth
// client provider (tokens from a local issuer) and with an API key, and MCP
// Inspector's CLI sending an Authorization header.
const run = promisify(execFile);
const inspector = resolve('node_modules/.bin/mcp-inspector');
const READER_TOOLS = ['get_analysis_status', 'get_context', 'list_handoffs', 'list_sessions'];

let baton: ProtectedHttpBaton;
let issuer: LocalIssuer;
let app: NestExpressApplication;
let resource: string;
let apiKey: string;

beforeAll(async () => {
  baton = await startProtectedHttpBaton({ BATON_AUTH_API_KEYS: 'true', BATON_API_KEY_CACHE_SECONDS: '0' });
  ({ issuer, app, resource } = baton);
  apiKey = (await app.get(ApiKeysService).create({ namespace: 'outside-auth', name: 'inspector', agents: [], role: 'reader' })).key;
});

afterAll(() => baton?.close());

function accessToken(scope: string, subject = 'oauth-agent'): Promise<string> {
  return new SignJWT({ scope, client_id: 'outside-client', baton_namespace: 'outside-auth' })
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
    .setIssuer(issuer.url)
    .setAudience(resource)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(issuer.privateKey);
}

// An OAuth client that already holds an access token (as after an
// authorization code flow); any attempt to start a new flow fails the test.
function providerWith(token: string): OAuthClientProvider {
  return {
    redirectUrl: 'http://127.0.0.1/callback',
    clientMetadata: { client_name: 'outside-client', redirect_uris: ['http://127.0.0.1/callback'] },
    clientInformation: () => ({ client_id: 'outside-client' }),
    tokens: () => ({ access_token: token, token_type: 'Bearer' }),
    saveTokens: () => undefined,
    redirectToAuthorization: (url) => {
      throw new Error(`the client was sent to authorize at ${url.toString()}: its token was refused`);
    },
    saveCodeVerifier: () => undefined,
    codeVerifier: () => 'unused',
  };
}

describe('the SDK client with an auth provider', () => {
  it('connects with an OAuth access token and works as the token\'s agent', async () => {
    const client = await connectMcpClient(new StreamableHTTPClientTransport(new URL(resource), { authProvider: providerWith(await accessToken('agent')) }), 'sdk-oauth');
    await callOk(client, 'register_session', { sessionKey: 'outside-auth-oauth', agentId: 'oauth-agent' });
    const listed = await callOk<{ sessions: { sessionKey: string }[] }>(client, 'list_sessions', {});
    expect(listed.sessions.map((s) => s.sessionKey)).toContain('outside-auth-oauth');
    await client.close();
  });

  it('connects with an API key as its access token, seeing only the key\'s tools', async () => {
    const client = await connectMcpClient(new StreamableHTTPClientTransport(new URL(resource), { authProvider: providerWith(apiKey) }), 'sdk-api-key');
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(READER_TOOLS);
    await client.close();
  });

  it('is sent to the issuer to authorize when its token is refused, and the refusal is audited', async () => {
    const audited = jest.spyOn(app.get(AuditTrail), 'record');
    const transport = new StreamableHTTPClientTransport(new URL(resource), { authProvider: providerWith(`${apiKey.slice(0, -1)}${apiKey.endsWith('A') ? 'B' : 'A'}`) });
    await expect(connectMcpClient(transport, 'sdk-bad-key')).rejects.toThrow(`the client was sent to authorize at ${issuer.url}/authorize`);
    const expired = await new SignJWT({ scope: 'agent' }).setProtectedHeader({ alg: 'RS256', kid: 'key-1' }).setIssuer(issuer.url).setAudience(resource).setSubject('late').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(issuer.privateKey);
    expect((await fetch(resource, { method: 'POST', headers: { authorization: `Bearer ${expired}`, 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    expect(audited.mock.calls.map(([record]) => [record.action, record.credentialId, record.detail?.credential, record.detail?.reason])).toEqual([
      ['auth.failed', `key:${apiKey.slice(6, 22)}`, 'api_key', 'invalid'],
      ['auth.failed', undefined, 'oauth', 'the access token has expired'],
    ]);
    audited.mockRestore();
  });
});

interface Inspected {
  code: number;
  json: Record<string, unknown>;
  output: string;
}

async function inspect(args: string[]): Promise<Inspected> {
  try {
    const { stdout, stderr } = await run(inspector, ['--cli', resource, '--transport', 'http', '--stored-auth-only', ...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, json: JSON.parse(stdout) as Record<string, unknown>, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : -1, json: {}, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

describe('MCP Inspector CLI with an Authorization header', () => {
  it.each([
    ['an API key', () => Promise.resolve(apiKey)],
    ['an OAuth access token', () => accessToken('reader')],
  ])('lists the tools and calls one with %s', async (_credential, credential) => {
    const header = `Authorization: Bearer ${await credential()}`;
    const listed = await inspect(['--method', 'tools/list', '--header', header]);
    expect(listed.code).toBe(0);
    expect((listed.json.tools as { name: string }[]).map((t) => t.name).sort()).toEqual(READER_TOOLS);
    const called = await inspect(['--method', 'tools/call', '--tool-name', 'list_sessions', '--header', header]);
    expect(called.code).toBe(0);
    expect(called.json).toEqual(expect.objectContaining({ structuredContent: expect.objectContaining({ sessions: expect.any(Array) }) }));
    expect(called.json.isError).not.toBe(true);
  }, 240_000);

  it('fails without the header, and with a revoked key', async () => {
    const without = await inspect(['--method', 'tools/list']);
    expect(without.code).not.toBe(0);
    expect(without.output).toMatch(/auth_required|401|Unauthorized/);
    const keys = app.get(ApiKeysService);
    const doomed = await keys.create({ namespace: 'outside-auth', name: 'doomed', agents: [], role: 'reader' });
    await keys.revoke(doomed.record.id);
    const revoked = await inspect(['--method', 'tools/list', '--header', `Authorization: Bearer ${doomed.key}`]);
    expect(revoked.code).not.toBe(0);
    expect(revoked.output).toMatch(/auth_required|401|Unauthorized|revoked/);
  }, 240_000);
});
