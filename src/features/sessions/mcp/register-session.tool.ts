import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { assertMayActAs } from 'src/platform/access/access.errors.js';
import { WholeNumberSchema } from 'src/platform/input/whole-number.js';
import { RepositoryAnchorSchema, SessionKeySchema, TagsSchema } from 'src/features/sessions/mcp/session.schemas.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';
import { SESSION_STATUSES } from 'src/features/sessions/sessions.types.js';

const input = z
  .object({
    sessionKey: SessionKeySchema.optional().describe('Your own key for the session (1-128 of A-Z a-z 0-9 . _ : -); generated when left out'),
    agentId: z.string().min(1).max(256).describe('Who owns the session, e.g. "claude-code@laptop-ana"; an agent your credential covers'),
    title: z.string().max(512).optional().describe('The goal of the session in one line'),
    repository: RepositoryAnchorSchema.optional().describe('Where the work happens: repository root, remote, branch, HEAD commit, dirty files'),
    metadata: z.record(z.string(), z.unknown()).optional().describe('Free-form JSON kept with the session (ticket ids, links, ...)'),
    tags: TagsSchema.optional().describe('Labels (up to 32, each 1-64 of A-Z a-z 0-9 . _ : -), e.g. ["compliance"]; the operator\'s lifecycle policies (idle time, retention) can match on them'),
    ttlSeconds: WholeNumberSchema.positive().optional().describe('Lifetime before the session expires; each append pushes the expiry to now + this again, up to the server\'s maximum lifetime. The server (or policy) default when left out'),
  })
  .strict();

const output = z.object({
  sessionKey: z.string(),
  status: z.enum(SESSION_STATUSES),
  createdAt: z.string(),
  expiresAt: z.string(),
});

@Injectable()
@McpTool()
export class RegisterSessionTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'register_session';
  readonly scope = 'sessions:write' as const;
  readonly title = 'Register a coding session';
  readonly description =
    'Open a Baton session for the work you are starting, before recording anything with update_context. ' +
    'Give the repository anchor (root, branch, HEAD commit) so a later agent can tell whether its checkout matches. ' +
    'Fails with SESSION_EXISTS if the sessionKey is taken; to continue an existing session, use its key with update_context instead.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };

  constructor(private readonly sessions: SessionsService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    assertMayActAs(caller.principal, args.agentId, 'register sessions');
    const session = await this.sessions.register(caller.namespace, args);
    return { sessionKey: session.sessionKey, status: session.status, createdAt: session.createdAt.toISOString(), expiresAt: session.expiresAt.toISOString() };
  }

  render(result: z.output<typeof output>): string {
    return `Session ${result.sessionKey} is ${result.status} (expires ${result.expiresAt}).`;
  }
}
