import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { WholeNumberSchema } from 'src/platform/input/whole-number.js';
import { SessionViewSchema, toSessionView } from 'src/features/sessions/mcp/session.schemas.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';
import { SESSION_STATUSES } from 'src/features/sessions/sessions.types.js';

const input = z
  .object({
    status: z.enum(SESSION_STATUSES).optional().describe('Only sessions in this state'),
    agentId: z.string().min(1).max(256).optional().describe('Only sessions owned by this agent'),
    limit: WholeNumberSchema.positive().optional().describe('Page size (server default 100, at most the server maximum, 1000 by default)'),
    cursor: z.string().optional().describe('nextCursor of the previous page'),
  })
  .strict();

const output = z.object({
  sessions: z.array(SessionViewSchema),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
});

@Injectable()
@McpTool()
export class ListSessionsTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'list_sessions';
  readonly scope = 'sessions:read' as const;
  readonly title = 'List sessions';
  readonly description =
    'List Baton sessions, most recently active first, to find one to continue or inspect. Filter by status or owning agent; ' +
    'page with cursor. Returns session headers only; read entries with get_context.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly sessions: SessionsService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    const page = await this.sessions.list(caller.namespace, args);
    return { sessions: page.sessions.map(toSessionView), nextCursor: page.nextCursor };
  }

  render(result: z.output<typeof output>): string {
    if (result.sessions.length === 0) return 'No sessions match.';
    const lines = result.sessions.map((s) => `- ${s.sessionKey} [${s.status}] ${s.agentId}${s.title ? `: ${s.title}` : ''} (last activity ${s.lastActivityAt}, ${s.lastSequence} entries)`);
    return [...lines, ...(result.nextCursor ? [`More: cursor=${result.nextCursor}`] : [])].join('\n');
  }
}
