import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import { AgentIdSchema, HandoffIdSchema, HandoffViewSchema, toHandoffView } from 'src/features/handoffs/mcp/handoff.schemas.js';

const input = z
  .object({
    handoffId: HandoffIdSchema.describe('The pending handoff to decline'),
    agentId: AgentIdSchema.describe('Your agent id; must be the handoff\'s target'),
    reason: z.string().min(1).max(4000).describe('Why you decline, for the requesting agent'),
  })
  .strict();

const output = HandoffViewSchema;

@Injectable()
@McpTool()
export class RejectHandoffTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'reject_handoff';
  readonly scope = 'handoffs:write' as const;
  readonly title = 'Decline a handoff';
  readonly description =
    'Decline a pending handoff addressed to you, with a reason the requester can act on. The session is unchanged. ' +
    'Only the addressed agent may reject (HANDOFF_NOT_FOR_AGENT); only pending handoffs can be rejected (HANDOFF_INVALID_STATE).';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly handoffs: HandoffsService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    return toHandoffView(await this.handoffs.reject(caller.actor, args));
  }

  render(result: z.output<typeof output>): string {
    return `Handoff ${result.handoffId} of ${result.sessionKey} is ${result.status}.`;
  }
}
