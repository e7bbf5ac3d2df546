import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import { HANDOFF_STATUSES, HANDOFF_TYPES } from 'src/features/handoffs/handoffs.types.js';
import { AgentIdSchema, HandoffIdSchema, HandoffPackageSchema, StalenessSchema } from 'src/features/handoffs/mcp/handoff.schemas.js';

const input = z
  .object({
    handoffId: HandoffIdSchema.describe('From list_handoffs or the notification that announced it'),
    agentId: AgentIdSchema.describe('Your agent id; must be the handoff\'s target'),
    repository: z
      .object({
        commit: z.string().regex(/^[0-9a-f]{7,64}$/i, 'must be a hex commit id').optional().describe('Your HEAD commit'),
        branch: z.string().max(512).optional().describe('Your checked-out branch'),
        dirtyFiles: z.array(z.string().max(4096)).max(10_000).optional().describe('Your uncommitted files, relative to the repository root'),
      })
      .strict()
      .optional()
      .describe('Your checkout, to be compared with the session\'s anchor'),
  })
  .strict();

const output = z.object({
  handoffId: z.string(),
  status: z.enum(HANDOFF_STATUSES),
  type: z.enum(HANDOFF_TYPES),
  sessionKey: z.string(),
  packageTokens: z.number().int(),
  staleness: StalenessSchema,
  package: HandoffPackageSchema,
});

@Injectable()
@McpTool()
export class AcceptHandoffTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'accept_handoff';
  readonly scope = 'handoffs:write' as const;
  readonly title = 'Accept a handoff and receive its package';
  readonly description =
    'Accept a pending handoff addressed to you and receive its context package, exactly as it was offered, plus a staleness report. ' +
    'Give your repository (commit, branch, dirtyFiles): when your checkout differs from the session\'s anchor, the report says so and lists the files the session touched, so re-read them rather than trusting the package. ' +
    'For a full_handoff you become the session\'s owner. Only the addressed agent may accept (HANDOFF_NOT_FOR_AGENT); accepting again returns the same package.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly handoffs: HandoffsService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    const { handoff, package: pkg, staleness } = await this.handoffs.accept(caller.actor, args);
    return { handoffId: handoff.id, status: handoff.status, type: handoff.type, sessionKey: handoff.sessionKey, packageTokens: handoff.packageTokens, staleness, package: pkg };
  }

  render(result: z.output<typeof output>): string {
    return [`Handoff ${result.handoffId} is ${result.status}. ${result.staleness.message}`, '', result.package.markdown].join('\n');
  }
}
