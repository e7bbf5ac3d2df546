import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { LifecycleOperatorService } from 'src/features/lifecycle/lifecycle-operator.service.js';
import { LifecycleStatusSchema, OperatorNamespaceSchema, renderSweep, reachOf, toLifecycleStatusView } from 'src/features/lifecycle/mcp/lifecycle.schemas.js';

const input = z.object({ namespace: OperatorNamespaceSchema }).strict();
const output = LifecycleStatusSchema;

@Injectable()
@McpTool()
export class GetLifecycleStatusTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'get_lifecycle_status';
  readonly scope = 'lifecycle:operate' as const;
  readonly title = 'Show session lifecycle status';
  readonly description =
    'For operators: the state of Baton\'s session lifecycle (active -> dormant -> expired -> archived -> purged). ' +
    'Returns the lifecycle queue\'s job counts and connected workers, the sweep schedule, the last sweep and the last worker start-up check, ' +
    'transition totals, the failed jobs (with reasons) and sessions per state: of your namespace (without the Baton-wide queue counts and start-up check), or, for admins, of another or of all. Read-only; the same data is at handoff://lifecycle.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly operator: LifecycleOperatorService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    return toLifecycleStatusView(await this.operator.status(reachOf(caller.principal, args.namespace)));
  }

  render(result: z.output<typeof output>): string {
    const q = result.queue;
    const sessions = Object.entries(result.sessionsByStatus).map(([status, n]) => `${n} ${status}`).join(', ');
    return [
      `Namespace: ${result.namespace}.`,
      ...(q ? [`Queue: ${q.waiting} waiting, ${q.active} active, ${q.delayed} delayed, ${q.failed} failed; ${q.workers} worker(s) connected.`] : []),
      result.lastSweep ? `Last sweep ${result.lastSweep.finishedAt}: ${renderSweep(result.lastSweep)}.` : 'No sweep has run yet.',
      result.lastCleanup ? `Last start-up check ${result.lastCleanup.startedAt} (${result.lastCleanup.durationMs} ms).` : 'No worker start-up check recorded.',
      `Sessions here: ${sessions}.`,
      ...result.failedJobs.map((job) => `Failed job ${job.jobId} (${job.name}, ${job.attempts} tries): ${job.reason}`),
    ].join('\n');
  }
}
