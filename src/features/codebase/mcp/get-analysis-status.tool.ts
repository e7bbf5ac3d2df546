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
    analysisId: AnalysisIdSchema.optional().describe('The analysisId analyze_codebase returned; the session\'s latest analysis when left out'),
  })
  .strict();

@Injectable()
@McpTool()
export class GetAnalysisStatusTool implements ToolDefinition<typeof input, typeof AnalysisResultSchema> {
  readonly name = 'get_analysis_status';
  readonly scope = 'sessions:read' as const;
  readonly title = 'Check a codebase analysis';
  readonly description =
    'Report where a codebase analysis stands: queued or running with files processed so far, or its result (summary, cycles, problems, ranked map) once completed. ' +
    'Use it to follow an analysis that analyze_codebase started in the background (status "queued"), every few seconds until it is completed, failed or cancelled.';
  readonly input = input;
  readonly output = AnalysisResultSchema;
  readonly annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

  constructor(private readonly codebase: CodebaseService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof AnalysisResultSchema>> {
    return toAnalysisResult(await this.codebase.status(caller.namespace, args.sessionKey, args.analysisId ?? 'latest'));
  }

  render(result: z.output<typeof AnalysisResultSchema>): string {
    return renderAnalysis(result);
  }
}
