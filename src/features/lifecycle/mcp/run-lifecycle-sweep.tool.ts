import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { LifecycleOperatorService } from 'src/features/lifecycle/lifecycle-operator.service.js';
import { renderSweep, SweepResultSchema } from 'src/features/lifecycle/mcp/lifecycle.schemas.js';

const input = z
  .object({
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
    'For operators: run the session lifecycle sweep now instead of waiting for its schedule. It applies every transition that is due ' +
    '(dormant, expired, purged; archives are queued as their own jobs) and schedules the ones due soon. Safe to repeat: transitions never happen twice. ' +
    'Needs a running worker; returns state queued if none picked it up within waitSeconds.';
  readonly input = input;
  readonly output = output;
  readonly annotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

  constructor(private readonly operator: LifecycleOperatorService) {}

  async execute(args: z.output<typeof input>): Promise<z.input<typeof output>> {
    return this.operator.runSweep(args.waitSeconds ?? 20);
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
