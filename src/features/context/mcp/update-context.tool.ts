import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { actingAgent } from 'src/platform/access/access.errors.js';
import { ContextService } from 'src/features/context/context.service.js';
import { ENTRY_TYPES } from 'src/features/context/context.types.js';
import { SessionKeySchema } from 'src/features/sessions/mcp/session.schemas.js';
import { SESSION_STATUSES } from 'src/features/sessions/sessions.types.js';

const input = z
  .object({
    sessionKey: SessionKeySchema.describe('The session to append to (from register_session)'),
    // A plain string here so an unknown type gets Baton's own error with the allowed list.
    type: z.string().describe(`Kind of entry: ${ENTRY_TYPES.join(', ')}`),
    content: z.string().describe('The entry itself: what was decided, done, changed, tried or found'),
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('JSON details. refs: [sequence, ...] points at earlier entries this one closes, resolves or supersedes (e.g. a todo marked done, a decision replaced); files: [path, ...] for code changes'),
    idempotencyKey: z.string().min(1).max(256).optional().describe('Retry-safe key: sending the same key again returns the original entry instead of a duplicate'),
    agentId: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('Who is appending (your agent id, as in register_session). It must be an agent your credential covers (AGENT_NOT_ALLOWED otherwise); left out, a credential for one agent appends as that agent. Give it: after you hand the session off with a full_handoff, your appends are refused with SESSION_HANDED_OFF instead of mixing into the new owner\'s work'),
  })
  .strict();

const output = z.object({
  sessionKey: z.string(),
  sequence: z.number().int().describe('Position of the entry in the session, 1, 2, 3, ... with no gaps'),
  entryId: z.string(),
  tokenCount: z.number().int().describe('Tokens of content (o200k_base)'),
  sessionStatus: z.enum(SESSION_STATUSES),
  duplicate: z.boolean().describe('True when idempotencyKey matched an earlier entry and nothing new was written'),
});

@Injectable()
@McpTool()
export class UpdateContextTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'update_context';
  readonly scope = 'sessions:write' as const;
  readonly title = 'Append to a session\'s context';
  readonly description =
    'Record one typed entry in a session\'s ledger: a decision and its reason, a todo, a code change, a command run, an error and what was tried, a note. ' +
    'Entries are ordered by sequence; use metadata.refs to close a todo or supersede a decision. Send an idempotencyKey when you may retry. ' +
    'Appending to a dormant session reactivates it and pushes its expiry out; expired and archived sessions are read-only (SESSION_READ_ONLY), purged ones are gone (SESSION_PURGED). Entries above the size limit fail with ENTRY_TOO_LARGE. ' +
    'Pass your agentId: an agent that handed the session to another with an accepted full_handoff gets SESSION_HANDED_OFF.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };

  constructor(private readonly context: ContextService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    const agentId = actingAgent(caller.principal, args.agentId, 'append');
    return this.context.append(caller.namespace, { ...args, agentId, type: args.type as (typeof ENTRY_TYPES)[number] });
  }

  render(result: z.output<typeof output>): string {
    return result.duplicate
      ? `Already recorded as entry ${result.sequence} of ${result.sessionKey}; nothing new was written.`
      : `Recorded entry ${result.sequence} of ${result.sessionKey} (${result.tokenCount} tokens); the session is ${result.sessionStatus}.`;
  }
}
