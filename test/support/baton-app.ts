import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { createHttpApplication } from 'src/bootstrap.js';
import { freePort, startLocalIssuer, type LocalIssuer } from 'test/support/local-issuer.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { childEnv, testConfig, testSettings } from 'test/support/test-config.js';

export { testConfig, testSettings };

export interface RunningHttpBaton {
  app: NestExpressApplication;
  url: URL;
  close(): Promise<void>;
}

// `baton serve` in this process, on a free loopback port.
export async function startHttpBaton(overrides: Record<string, string> = {}): Promise<RunningHttpBaton> {
  const app = await createHttpApplication(testConfig(overrides));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: new URL(`http://127.0.0.1:${port}/mcp`), close: () => app.close() };
}

export interface ProtectedHttpBaton extends RunningHttpBaton {
  issuer: LocalIssuer;
  // http://127.0.0.1:<port>, and the MCP endpoint there: the canonical
  // resource URI the issuer's tokens must name as their audience.
  base: string;
  resource: string;
}

// `baton serve` in this process, accepting the access tokens of a local
// OAuth issuer. Its port is chosen before it listens: the resource URI is
// part of its settings.
export async function startProtectedHttpBaton(overrides: Record<string, string> = {}): Promise<ProtectedHttpBaton> {
  const issuer = await startLocalIssuer();
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const resource = `${base}/mcp`;
    const app = await createHttpApplication(testConfig({ BATON_AUTH_ISSUER: issuer.url, BATON_AUTH_RESOURCE: resource, ...overrides }));
    await app.listen(port, '127.0.0.1');
    const close = async (): Promise<void> => {
      await app.close();
      await issuer.close();
    };
    return { app, issuer, base, resource, url: new URL(resource), close };
  } catch (error) {
    await issuer.close();
    throw error;
  }
}

export async function connectHttpClient(url: URL, name = 'e2e-http'): Promise<Client> {
  return connectMcpClient(new StreamableHTTPClientTransport(url), name);
}

// The built `baton stdio`, spawned the way an agent would.
export async function connectStdioClient(overrides: Record<string, string> = {}, name = 'e2e-stdio'): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [resolve('dist/main.js'), 'stdio'],
    env: childEnv(testSettings(overrides)),
    stderr: 'pipe',
  });
  return connectMcpClient(transport, name);
}
