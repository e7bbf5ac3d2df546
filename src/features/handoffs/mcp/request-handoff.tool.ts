import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { WholeNumberSchema } from 'src/platform/input/whole-number.js';
import { HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import { HANDOFF_TYPES } from 'src/features/handoffs/handoffs.types.js';
import { AgentIdSchema, HandoffPackageSchema, handoffUri } from 'src/features/handoffs/mcp/handoff.schemas.js';
import { SessionKeySchema } from 'src/features/sessions/mcp/session.schemas.js';
import { SESSION_STATUSES } from 'src/features/sessions/sessions.types.js';

const input = z
  .object({
    sessionKey: SessionKeySchema.describe('The session to hand over'),
    targetAgent: AgentIdSchema.describe('The agent that should pick it up, e.g. "codex@ci-runner-3"'),
    type: z.enum(HANDOFF_TYPES).describe('context_transfer: you keep working and the session stays shared. full_handoff: on acceptance the target owns the session and your appends are refused'),
    instructions: z.string().max(20_000).optional().describe('What you ask the target to do; at most a third of the token budget'),
    tokenBudget: WholeNumberSchema.optional().describe('Largest package, in o200k_base tokens (at least 256; server default 4000)'),
  })
  .strict();

const output = z.object({
  handoffId: z.string(),
  status: z.literal('pending'),
  type: z.enum(HANDOFF_TYPES),
  sessionKey: z.string(),
  targetAgent: z.string(),
  expiresAt: z.string().describe('The handoff expires if not accepted by then'),
  packageTokens: z.number().int(),
  sessionStatus: z.enum(SESSION_STATUSES),
  readOnly: z.boolean().describe('True when the session is expired or archived: the target can read it but not append'),
  uri: z.string().describe('Subscribe to hear when the target accepts, rejects or completes it'),
  package: HandoffPackageSchema,
});

@Injectable()
@McpTool()
export class RequestHandoffTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'request_handoff';
  readonly scope = 'handoffs:write' as const;
  readonly title = 'Hand a session to another agent';
  readonly description =
    'Offer a session to another agent with a context package that fits its token budget: goal and state, open todos, decisions in force, recent changes and files, ' +
    'unresolved errors with what was already tried, key messages, the repository anchor and your instructions, plus pointers to everything left out. ' +
    'The package is stored with the handoff, so the target receives exactly what you see here. Use full_handoff to pass ownership (one pending per session, ' +
    'else HANDOFF_ALREADY_PENDING), context_transfer to share. Expired and archived sessions can be handed over for reading. ' +
    'Only the session\'s owner hands it over: your credential must cover its agent (AGENT_NOT_ALLOWED otherwise).';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };

  constructor(private readonly handoffs: HandoffsService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    const { handoff, package: pkg } = await this.handoffs.request(caller.actor, args);
    return {
      handoffId: handoff.id,
      status: 'pending',
      type: handoff.type,
      sessionKey: handoff.sessionKey,
      targetAgent: handoff.targetAgentId,
      expiresAt: handoff.expiresAt.toISOString(),
      packageTokens: handoff.packageTokens,
      sessionStatus: pkg.session.status,
      readOnly: pkg.session.readOnly,
      uri: handoffUri(handoff.id),
      package: pkg,
    };
  }

  render(result: z.output<typeof output>): string {
    const p = result.package;
    const lines = [
      `Handoff ${result.handoffId} (${result.type}) of ${result.sessionKey} to ${result.targetAgent} is pending until ${result.expiresAt}.`,
      `Package: ${result.packageTokens} of ${p.budget.tokenBudget} tokens; ${p.openTodos.length} open todos, ${p.decisions.length} decisions, ${p.errors.length} unresolved errors, ${p.files.length} files; ${p.omitted.count} entries left out.`,
    ];
    if (result.readOnly) lines.push(`The session is ${result.sessionStatus}: the target can read it but not append to it.`);
    if (p.redactions.count > 0) lines.push(`${p.redactions.count} secrets were redacted from the package.`);
    return lines.join('\n');
  }
}
