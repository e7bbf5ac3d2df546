import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { operatorNamespace } from 'src/platform/access/access.errors.js';
import { LifecycleOperatorService } from 'src/features/lifecycle/lifecycle-operator.service.js';
import { OperatorNamespaceSchema, renderSweep, SweepResultSchema, toSweepView } from 'src/features/lifecycle/mcp/lifecycle.schemas.js';

const input = z
  .object({
    namespace: OperatorNamespaceSchema,
    waitSeconds: z.number().int().min(0).max(60).optional().describe('How long to wait for a worker to finish the sweep (0-60, default 20); it keeps running after that'),
  })
  .strict();

const output = z.object({
  jobId: z.string(),
  state: z.enum(['completed', 'failed', 'queued', 'running']).describe('queued means no worker took it within waitSeconds: check that `baton worker` (or `baton serve` with workers) is running'),
  result: SweepResultSchema.nullable(),
  failure: z.string().nullable(),
});

@Injectable()
@McpTool()
export class RunLifecycleSweepTool implements ToolDefinition<typeof input, typeof output> {
  readonly name = 'run_lifecycle_sweep';
  readonly scope = 'lifecycle:operate' as const;
  readonly title = 'Run the lifecycle sweep now';
  readonly description =
    'For operators: run the session lifecycle sweep of your namespace now instead of waiting for its schedule (admins: of another namespace, or of all). It applies every transition that is due ' +
    '(dormant, expired, purged; archives are queued as their own jobs) and schedules the ones due soon. Safe to repeat: transitions never happen twice. ' +
    'Needs a running worker; returns state queued if none picked it up within waitSeconds.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

  constructor(private readonly operator: LifecycleOperatorService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof output>> {
    const run = await this.operator.runSweep(operatorNamespace(caller.principal, args.namespace), args.waitSeconds ?? 20);
    return { ...run, result: run.result && toSweepView(run.result) };
  }

  render(result: z.output<typeof output>): string {
    switch (result.state) {
      case 'completed':
        return `Sweep ${result.jobId} done: ${result.result ? renderSweep(result.result) : 'no result recorded'}.`;
      case 'failed':
        return `Sweep ${result.jobId} failed: ${result.failure ?? 'no reason recorded'}.`;
      default:
        return `Sweep ${result.jobId} is ${result.state}; no worker finished it yet (is \`baton worker\` running?).`;
    }
  }
}
