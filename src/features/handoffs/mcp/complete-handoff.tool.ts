import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import { AgentIdSchema, HandoffIdSchema, HandoffViewSchema, toHandoffView } from 'src/features/handoffs/mcp/handoff.schemas.js';

const input = z
  .object({
    handoffId: HandoffIdSchema.describe('The accepted handoff you finished'),
    agentId: AgentIdSchema.describe('Your agent id; must be the handoff\'s target'),
    outcome: z.string().max(4000).optional().describe('What came of it, in a sentence or two'),
  })
  .strict();

const output = HandoffViewSchema;

@Injectable()
@McpTool()
export class CompleteHandoffTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'complete_handoff';
  readonly scope = 'handoffs:write' as const;
  readonly title = 'Mark a handoff completed';
  readonly description =
    'Mark an accepted handoff addressed to you as completed once the work it asked for is done, with an optional outcome. ' +
    'Record the work itself in the session with update_context first. Only the addressed agent may complete it, and only after accepting it.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly handoffs: HandoffsService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    return toHandoffView(await this.handoffs.complete(caller.actor, args));
  }

  render(result: z.output<typeof output>): string {
    return `Handoff ${result.handoffId} of ${result.sessionKey} is ${result.status}.`;
  }
}
