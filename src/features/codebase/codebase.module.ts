import { Module } from '@nestjs/common';

import { CodebaseRepository } from 'src/features/codebase/codebase.repository.js';
import { CodebaseService } from 'src/features/codebase/codebase.service.js';
import { AnalyzeCodebaseProcessor } from 'src/features/codebase/jobs/analyze-codebase.processor.js';
import { CodebaseWorkerHook } from 'src/features/codebase/jobs/codebase-worker.hook.js';
import { AnalysisResource, LatestAnalysisResource } from 'src/features/codebase/mcp/analysis.resource.js';
import { AnalyzeCodebaseTool } from 'src/features/codebase/mcp/analyze-codebase.tool.js';
import { CancelAnalysisTool } from 'src/features/codebase/mcp/cancel-analysis.tool.js';
import { GetAnalysisStatusTool } from 'src/features/codebase/mcp/get-analysis-status.tool.js';
import { ContextModule } from 'src/features/context/context.module.js';
import { SessionsModule } from 'src/features/sessions/sessions.module.js';

@Module({
  imports: [SessionsModule, ContextModule],
  providers: [
    CodebaseRepository,
    CodebaseService,
    AnalyzeCodebaseProcessor,
    CodebaseWorkerHook,
    AnalyzeCodebaseTool,
    GetAnalysisStatusTool,
    CancelAnalysisTool,
    // The latest resource first: its fixed URI also matches the {analysisId} template.
    LatestAnalysisResource,
    AnalysisResource,
  ],
  exports: [CodebaseService],
})
export class CodebaseModule {}
