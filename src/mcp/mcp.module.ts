import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';

import { McpRegistry } from 'src/mcp/mcp-registry.js';
import { McpServerFactory } from 'src/mcp/mcp-server.factory.js';
import { McpTelemetry } from 'src/mcp/mcp-telemetry.js';
import { SubscriptionHub } from 'src/mcp/subscription-hub.js';
import { McpSessionStore } from 'src/mcp/transports/mcp-session.store.js';
import { StdioTransport } from 'src/mcp/transports/stdio.transport.js';

@Module({
  imports: [DiscoveryModule],
  providers: [McpRegistry, McpSessionStore, SubscriptionHub, McpServerFactory, McpTelemetry, StdioTransport],
  exports: [McpServerFactory, McpTelemetry, McpSessionStore, SubscriptionHub, StdioTransport],
})
export class McpModule {}
