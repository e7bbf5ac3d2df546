import { Injectable, Logger } from '@nestjs/common';

import { OnWorkersStarted, type WorkerStartHook } from 'src/platform/queue/job-definition.js';
import { CodebaseService } from 'src/features/codebase/codebase.service.js';
import { CODEBASE_QUEUE } from 'src/features/codebase/jobs/analyze-codebase.job.js';

// Every process serving this host's analysis queue checks, as it starts,
// for analyses a dead process or a failed job left queued or running.
@Injectable()
@OnWorkersStarted()
export class CodebaseWorkerHook implements WorkerStartHook {
  readonly queue = CODEBASE_QUEUE;
  private readonly logger = new Logger(CodebaseWorkerHook.name);

  constructor(private readonly codebase: CodebaseService) {}

  async onWorkersStarted(): Promise<void> {
    const repaired = await this.codebase.repairUnfinished();
    if (repaired > 0) this.logger.warn({ repaired }, 'unfinished codebase analyses repaired at start-up');
  }
}
