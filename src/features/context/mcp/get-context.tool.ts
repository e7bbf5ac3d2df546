import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { WholeNumberSchema } from 'src/platform/input/whole-number.js';
import { EntryViewSchema, toEntryView } from 'src/features/context/mcp/entry.schemas.js';
import { ContextService } from 'src/features/context/context.service.js';
import { ENTRY_TYPES, type EntryType } from 'src/features/context/context.types.js';
import { SessionKeySchema } from 'src/features/sessions/mcp/session.schemas.js';

const input = z
  .object({
    sessionKey: SessionKeySchema.describe('The session to read'),
    afterSequence: WholeNumberSchema.min(0).optional().describe('Return entries after this sequence; 0 or absent for the start'),
    limit: WholeNumberSchema.positive().optional().describe('Page size (server default 100, at most 1000 by default)'),
    types: z.array(z.string()).optional().describe(`Only these entry types: ${ENTRY_TYPES.join(', ')}`),
  })
  .strict();

const output = z.object({
  sessionKey: z.string(),
  entries: z.array(EntryViewSchema),
  nextAfterSequence: z.number().int().nullable().describe('Pass as afterSequence for the next page; null when there is no more'),
});

@Injectable()
@McpTool()
export class GetContextTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'get_context';
  readonly scope = 'sessions:read' as const;
  readonly title = 'Read a session\'s context';
  readonly description =
    'Read a session\'s entries in order, a page at a time (afterSequence + limit), optionally only some types (e.g. ["decision", "todo"]). ' +
    'A page may end before limit when its entries are large (the server caps the size of a page): keep passing nextAfterSequence until it is null. ' +
    'Works on sessions in any state, including expired and archived ones; a purged session\'s entries are gone (SESSION_PURGED). For a summary that fits a token budget, ask for a handoff instead.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly context: ContextService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    const page = await this.context.page(caller.namespace, { ...args, types: args.types as EntryType[] | undefined });
    return { sessionKey: page.sessionKey, entries: page.entries.map(toEntryView), nextAfterSequence: page.nextAfterSequence };
  }

  render(result: z.output<typeof output>): string {
    if (result.entries.length === 0) return `No entries in ${result.sessionKey} after that point.`;
    const lines = result.entries.map((e) => `#${e.sequence} [${e.type}] ${e.content}`);
    return [...lines, ...(result.nextAfterSequence !== null ? [`More after #${result.nextAfterSequence}.`] : [])].join('\n');
  }
}
