import { Module } from '@nestjs/common';

import { HttpModule } from 'src/http/http.module.js';
import { McpModule } from 'src/mcp/mcp.module.js';
import { StreamableHttpEndpoint } from 'src/mcp/transports/streamable-http.endpoint.js';
import { StreamableHttpRoute } from 'src/mcp/transports/streamable-http.route.js';

// MCP over Streamable HTTP at /mcp: for `baton serve` only, so that `baton
// stdio` and `baton worker` never load the HTTP transport and express.
@Module({
  imports: [McpModule, HttpModule],
  providers: [StreamableHttpEndpoint, StreamableHttpRoute],
  exports: [StreamableHttpRoute],
})
export class McpHttpModule {}
