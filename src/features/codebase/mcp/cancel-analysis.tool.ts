import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { AnalysisIdSchema, AnalysisResultSchema, renderAnalysis, toAnalysisResult } from 'src/features/codebase/mcp/analysis.schemas.js';
import { CodebaseService } from 'src/features/codebase/codebase.service.js';
import { SessionKeySchema } from 'src/features/sessions/mcp/session.schemas.js';

const input = z
  .object({
    sessionKey: SessionKeySchema.describe('The session the analysis belongs to'),
    analysisId: AnalysisIdSchema.describe('The analysisId analyze_codebase returned'),
  })
  .strict();

@Injectable()
@McpTool()
export class CancelAnalysisTool implements ToolDefinition<typeof input, typeof AnalysisResultSchema> {
  readonly name = 'cancel_analysis';
  readonly scope = 'codebase:analyze' as const;
  readonly title = 'Cancel a background codebase analysis';
  readonly description =
    'Stop a queued or running background analysis (one that analyze_codebase answered with a jobId). It ends with status "cancelled" and stores nothing. ' +
    'An analysis that already ended is returned unchanged. To stop an analysis running inside an analyze_codebase call, cancel that request instead.';
  readonly input = input;
  readonly output = AnalysisResultSchema;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly codebase: CodebaseService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof AnalysisResultSchema>> {
    return toAnalysisResult(await this.codebase.cancel(caller.namespace, args.sessionKey, args.analysisId));
  }

  render(result: z.output<typeof AnalysisResultSchema>): string {
    return renderAnalysis(result);
  }
}
