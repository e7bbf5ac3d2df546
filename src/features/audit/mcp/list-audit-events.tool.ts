import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { WholeNumberSchema } from 'src/platform/input/whole-number.js';
import { AuditService } from 'src/features/audit/audit.service.js';
import { AuditPageSchema, toAuditPageView } from 'src/features/audit/mcp/audit.schemas.js';

const input = z
  .object({
    action: z.string().min(1).max(64).optional().describe('Only this action, e.g. "handoff.accepted", or a prefix ending in *, e.g. "handoff.*"'),
    since: z.string().min(1).max(64).optional().describe('Only events at or after this ISO 8601 date or instant, e.g. "2026-12-01T09:30:00Z"'),
    namespace: z.string().min(1).max(128).optional().describe('Admins only: read this namespace (every namespace when left out); others read their own'),
    limit: WholeNumberSchema.positive().optional().describe('Page size (server default 100)'),
    cursor: z.string().optional().describe('nextCursor of the previous page, for older events'),
  })
  .strict();

const output = AuditPageSchema;

@Injectable()
@McpTool()
export class ListAuditEventsTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'list_audit_events';
  readonly scope = 'audit:read' as const;
  readonly title = 'List audit trail events';
  readonly description =
    'For operators and auditors: the audit trail of your namespace, newest first. Each event says who (credential, agent) did what (handoff transitions, legal holds, sweeps, job retries, key changes, ' +
    'authentication failures, denials) to which target, when, from where, and whether it succeeded. Filter by action or time; page with cursor. Read-only; the same data is at handoff://audit.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly audit: AuditService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    return toAuditPageView(await this.audit.list(caller.principal, args));
  }

  render(result: z.output<typeof output>): string {
    if (result.events.length === 0) return 'No audit events match.';
    const lines = result.events.map((e) => `- ${e.at} ${e.action} [${e.outcome}] ${e.target ?? '-'} by ${e.credentialId ?? 'unknown'}${e.agentId ? ` as ${e.agentId}` : ''} from ${e.source ?? 'unknown'}`);
    return [...lines, ...(result.nextCursor ? [`Older: cursor=${result.nextCursor}`] : [])].join('\n');
  }
}
