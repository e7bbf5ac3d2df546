import { Injectable } from '@nestjs/common';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpTool, type ToolDefinition } from 'src/mcp/mcp-tool.js';
import { WholeNumberSchema } from 'src/platform/input/whole-number.js';
import { AnalysisResultSchema, renderAnalysis, toAnalysisResult } from 'src/features/codebase/mcp/analysis.schemas.js';
import { CodebaseService } from 'src/features/codebase/codebase.service.js';
import { ANALYSIS_TYPES } from 'src/features/codebase/codebase.types.js';
import { SessionKeySchema } from 'src/features/sessions/mcp/session.schemas.js';

const input = z
  .object({
    sessionKey: SessionKeySchema.describe('The session the analysis belongs to; it gets an `analysis` entry pointing at the result'),
    root: z.string().min(1).max(4096).describe('Absolute path of the directory to analyse; must lie inside the server\'s allowed roots'),
    include: z.array(z.string().min(1).max(512)).optional().describe('Globs (relative to root) of files to analyse; default all .ts/.tsx/.mts/.cts/.js/.jsx/.mjs/.cjs files'),
    exclude: z.array(z.string().min(1).max(512)).optional().describe('Globs (relative to root) to leave out, on top of .gitignore, node_modules and build output'),
    analysisType: z.enum(ANALYSIS_TYPES).describe('structure: declarations per file; dependencies: import graph, cycles and ranks; full: both plus the ranked map'),
    tokenBudget: WholeNumberSchema.positive().optional().describe('Tokens the ranked map may take (o200k_base); the server default when left out'),
  })
  .strict();

@Injectable()
@McpTool()
export class AnalyzeCodebaseTool implements ToolDefinition<typeof input, typeof AnalysisResultSchema> {
  readonly name = 'analyze_codebase';
  readonly scope = 'codebase:analyze' as const;
  readonly title = 'Analyse a TypeScript/JavaScript codebase';
  readonly description =
    'Analyse the TypeScript/JavaScript code under root (on the machine Baton runs on) for a session: exports, classes, functions with signatures and complexity, ' +
    'interfaces, types, enums; imports resolved to files (tsconfig paths, index files, .js specifiers of .ts sources) and packages; the import graph with its cycles; ' +
    'and a map of the most central files and symbols that fits tokenBudget. Skips node_modules, build output and .gitignore\'d files; files with syntax errors, binary ' +
    'or oversized files are listed under problems. Re-analysing reuses unchanged files. Large codebases run in the background: the result then has status "queued" and a jobId; ' +
    'poll get_analysis_status. Sends progress notifications when given a progressToken, and stops when cancelled. root outside the allowed roots fails with PATH_NOT_ALLOWED.';
  readonly input = input;
  readonly output = AnalysisResultSchema;
  readonly annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };

  constructor(private readonly codebase: CodebaseService) {}

  async execute(args: z.output<typeof input>, caller: McpCaller): Promise<z.input<typeof AnalysisResultSchema>> {
    const view = await this.codebase.analyze(
      caller.namespace,
      { ...args, include: args.include ?? [], exclude: args.exclude ?? [] },
      { signal: caller.signal, onProgress: (processed, total) => caller.progress(processed, total, `${processed}/${total} files`) },
    );
    return toAnalysisResult(view);
  }

  render(result: z.output<typeof AnalysisResultSchema>): string {
    return renderAnalysis(result);
  }
}
