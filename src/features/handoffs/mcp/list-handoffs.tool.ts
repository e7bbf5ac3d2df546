import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { WholeNumberSchema } from 'src/platform/input/whole-number.js';
import { HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import { HANDOFF_STATUSES } from 'src/features/handoffs/handoffs.types.js';
import { AgentIdSchema, HandoffViewSchema, toHandoffView } from 'src/features/handoffs/mcp/handoff.schemas.js';

const input = z
  .object({
    agentId: AgentIdSchema.describe('Your agent id, one your credential covers: lists the handoffs addressed to you'),
    status: z.enum(HANDOFF_STATUSES).optional().describe('Only handoffs in this state, e.g. "pending" for the ones waiting for you'),
    limit: WholeNumberSchema.positive().optional().describe('Page size (server default 100)'),
    cursor: z.string().optional().describe('nextCursor of the previous page'),
  })
  .strict();

const output = z.object({
  handoffs: z.array(HandoffViewSchema),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
});

@Injectable()
@McpTool()
export class ListHandoffsTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'list_handoffs';
  readonly scope = 'handoffs:read' as const;
  readonly title = 'List handoffs addressed to an agent';
  readonly description =
    'List the handoffs addressed to an agent, newest first, optionally by state (pending, accepted, rejected, completed, expired). ' +
    'Returns headers only; accept_handoff returns the package. Subscribe to handoff://agents/{agentId}/handoffs to hear of new ones instead of polling.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly handoffs: HandoffsService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    const page = await this.handoffs.list(caller.actor, args);
    return { handoffs: page.handoffs.map(toHandoffView), nextCursor: page.nextCursor };
  }

  render(result: z.output<typeof output>): string {
    if (result.handoffs.length === 0) return 'No handoffs match.';
    const lines = result.handoffs.map((h) => `- ${h.handoffId} [${h.status}] ${h.type} of ${h.sessionKey} from ${h.fromAgentId} (${h.packageTokens} tokens, expires ${h.expiresAt})`);
    return [...lines, ...(result.nextCursor ? [`More: cursor=${result.nextCursor}`] : [])].join('\n');
  }
}
