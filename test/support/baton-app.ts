import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { NestExpressApplication } from '@nestjs/platform-express';

import { createHttpApplication } from 'src/bootstrap.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { testConfig, testSettings } from 'test/support/test-config.js';

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

export async function connectHttpClient(url: URL, name = 'e2e-http'): Promise<Client> {
  return connectMcpClient(new StreamableHTTPClientTransport(url), name);
}

// The built `baton stdio`, spawned the way an agent would.
export async function connectStdioClient(overrides: Record<string, string> = {}, name = 'e2e-stdio'): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [resolve('dist/main.js'), 'stdio'],
    env: { PATH: process.env.PATH ?? '', ...testSettings(overrides) },
    stderr: 'pipe',
  });
  return connectMcpClient(transport, name);
}
