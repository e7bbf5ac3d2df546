import { Injectable } from '@nestjs/common';

import { JobProcessor, type JobContext, type JobHandler } from 'src/platform/queue/job-definition.js';
import { CodebaseService } from 'src/features/codebase/codebase.service.js';
import { AnalyzeCodebaseJob, type AnalyzeCodebaseJobData } from 'src/features/codebase/jobs/analyze-codebase.job.js';

@Injectable()
@JobProcessor()
export class AnalyzeCodebaseProcessor implements JobHandler<AnalyzeCodebaseJobData> {
  readonly job = AnalyzeCodebaseJob;

  constructor(private readonly codebase: CodebaseService) {}

  async handle(data: AnalyzeCodebaseJobData, context: JobContext): Promise<{ status: string }> {
    const analysis = await this.codebase.runQueued(data, (processed, total) => context.progress({ processed, total }));
    return { status: analysis?.status ?? 'skipped' };
  }
}
