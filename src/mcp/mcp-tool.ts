import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import type { Scope } from 'src/platform/access/scopes.js';

export const MCP_TOOL = Symbol('MCP_TOOL');

// Marks a provider as an MCP tool; the registry finds it at boot.
export const McpTool = (): ClassDecorator => SetMetadata(MCP_TOOL, true);

export interface ToolAnnotations {
  readonly readOnlyHint: boolean;
  readonly destructiveHint: boolean;
  readonly idempotentHint: boolean;
  readonly openWorldHint: boolean;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly title: string;
  // Written for the model: when to use the tool, and its limits.
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly annotations: ToolAnnotations;
  // What a caller needs to see and call the tool.
  readonly scope: Scope;
  execute(input: z.output<I>, caller: McpCaller): Promise<z.input<O>>;
  // The text copy of the structured result, for clients that show text.
  render(output: z.output<O>): string;
}
