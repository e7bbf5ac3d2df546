import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { LifecycleOperatorService } from 'src/features/lifecycle/lifecycle-operator.service.js';
import { OperatorNamespaceSchema, reachOf } from 'src/features/lifecycle/mcp/lifecycle.schemas.js';

const input = z
  .object({
    namespace: OperatorNamespaceSchema,
    jobId: z.string().min(1).max(256).optional().describe('One failed job to retry (ids are in get_lifecycle_status.failedJobs); all failed lifecycle jobs when left out'),
  })
  .strict();

const output = z.object({ retried: z.number().int().describe('Jobs moved from the failed set back to waiting') });

@Injectable()
@McpTool()
export class RetryFailedJobsTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'retry_failed_jobs';
  readonly scope = 'lifecycle:operate' as const;
  readonly title = 'Retry failed lifecycle jobs';
  readonly description =
    'For operators: move lifecycle jobs that used up their retries (see get_lifecycle_status.failedJobs) back to waiting with fresh attempts, ' +
    'typically after fixing what made them fail. One job by jobId, or all of them, of your namespace (admins: of another, or of all). Jobs re-check their session first, so retrying is safe.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly operator: LifecycleOperatorService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    return { retried: await this.operator.retryFailed(reachOf(caller.principal, args.namespace), args.jobId) };
  }

  render(result: z.output<typeof output>): string {
    return result.retried === 0 ? 'No failed lifecycle jobs to retry.' : `Moved ${result.retried} failed job(s) back to waiting.`;
  }
}
