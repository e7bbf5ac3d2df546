import { Module } from '@nestjs/common';

import { McpModule } from 'src/mcp/mcp.module.js';
import { StreamableHttpController } from 'src/mcp/transports/streamable-http.controller.js';

// MCP over Streamable HTTP at /mcp: for `baton serve` only, so that `baton
// stdio` and `baton worker` never load the HTTP transport and express.
@Module({
  imports: [McpModule],
  controllers: [StreamableHttpController],
})
export class McpHttpModule {}
