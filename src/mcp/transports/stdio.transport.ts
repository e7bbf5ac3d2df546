import { Inject, Injectable } from '@nestjs/common';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { McpServerFactory } from 'src/mcp/mcp-server.factory.js';
import { McpTelemetry } from 'src/mcp/mcp-telemetry.js';

// MCP over stdin/stdout for agents that spawn Baton. stdout carries protocol
// messages only; logs go to stderr.
@Injectable()
export class StdioTransport {
  constructor(
    private readonly factory: McpServerFactory,
    private readonly telemetry: McpTelemetry,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  // Resolves when the client disconnects (stdin closes) or the server closes.
  async serve(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<void> {
    const server = this.factory.create({ namespace: this.config.sessions.defaultNamespace });
    const closed = new Promise<void>((resolve) => {
      const detach = server.onclose;
      server.onclose = () => {
        detach?.();
        resolve();
      };
    });
    const transport = new StdioServerTransport(input as NodeJS.ReadStream, output as NodeJS.WriteStream);
    await server.connect(transport);
    this.telemetry.instrument(transport, 'pipe');
    input.once('end', () => void server.close());
    await closed;
  }
}
