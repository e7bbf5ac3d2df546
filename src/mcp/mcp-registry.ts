import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';

import { MCP_RESOURCE, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import { MCP_TOOL, type ToolDefinition } from 'src/mcp/mcp-tool.js';

// Collects every @McpTool and @McpResource provider once at boot.
@Injectable()
export class McpRegistry implements OnModuleInit {
  readonly tools = new Map<string, ToolDefinition>();
  readonly resources: ResourceDefinition[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype) continue;
      if (this.reflector.get(MCP_TOOL, metatype)) {
        const tool = instance as ToolDefinition;
        if (this.tools.has(tool.name)) throw new Error(`Two MCP tools are named ${tool.name}`);
        this.tools.set(tool.name, tool);
      }
      if (this.reflector.get(MCP_RESOURCE, metatype)) {
        const resource = instance as ResourceDefinition;
        if (this.resources.some((r) => r.name === resource.name)) throw new Error(`Two MCP resources are named ${resource.name}`);
        this.resources.push(resource);
      }
    }
  }
}
