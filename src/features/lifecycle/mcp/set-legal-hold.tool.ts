import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { ALL_NAMESPACES, operatorNamespace } from 'src/platform/access/access.errors.js';
import { LifecycleError, LifecycleErrorCode } from 'src/features/lifecycle/lifecycle.errors.js';
import { LifecycleOperatorService } from 'src/features/lifecycle/lifecycle-operator.service.js';
import { OperatorNamespaceSchema } from 'src/features/lifecycle/mcp/lifecycle.schemas.js';
import { SessionKeySchema } from 'src/features/sessions/mcp/session.schemas.js';
import { SESSION_STATUSES } from 'src/features/sessions/sessions.types.js';

const input = z
  .object({
    namespace: OperatorNamespaceSchema.describe('Admins only: the namespace of the session; your own when left out'),
    sessionKey: SessionKeySchema.describe('The session to hold or release'),
    hold: z.boolean().describe('true places a legal hold (the session is never purged); false lifts it'),
    reason: z.string().trim().min(1).max(400).describe('Why, for the session\'s lifecycle history, e.g. "litigation hold, case 2026-114"'),
  })
  .strict();

const output = z.object({
  sessionKey: z.string(),
  status: z.enum(SESSION_STATUSES),
  legalHold: z.boolean(),
});

@Injectable()
@McpTool()
export class SetLegalHoldTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'set_legal_hold';
  readonly scope = 'lifecycle:operate' as const;
  readonly title = 'Place or lift a legal hold';
  readonly description =
    'For operators: place a legal hold on a session of your namespace (admins: of the namespace they name) so the retention policy never purges it (it still goes dormant, expires and is archived), ' +
    'or lift it so retention applies again; a session already past its retention period is then purged at the next check. ' +
    'The change and its reason are recorded in the session\'s lifecycle history. Fails with SESSION_PURGED if the session is already purged.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly operator: LifecycleOperatorService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    const namespace = operatorNamespace(caller.principal, args.namespace);
    if (namespace === null) throw new LifecycleError(LifecycleErrorCode.InvalidArgument, `A legal hold is placed on one session: name its namespace, not "${ALL_NAMESPACES}".`);
    const session = await this.operator.setLegalHold(namespace, args.sessionKey, args.hold, args.reason);
    return { sessionKey: session.sessionKey, status: session.status, legalHold: session.legalHold };
  }

  render(result: z.output<typeof output>): string {
    return result.legalHold ? `Session ${result.sessionKey} (${result.status}) is under legal hold and will not be purged.` : `Session ${result.sessionKey} (${result.status}) is not under legal hold; retention applies.`;
  }
}
