import { Module } from '@nestjs/common';

import { AuditFeatureModule } from 'src/features/audit/audit.module.js';
import { ContextModule } from 'src/features/context/context.module.js';
import { AdvanceSessionHandler } from 'src/features/lifecycle/jobs/advance-session.job.js';
import { LifecycleSweepHandler } from 'src/features/lifecycle/jobs/lifecycle-sweep.job.js';
import { LifecycleCleanupRepository } from 'src/features/lifecycle/lifecycle-cleanup.repository.js';
import { LifecycleOperatorService } from 'src/features/lifecycle/lifecycle-operator.service.js';
import { LifecycleRepository } from 'src/features/lifecycle/lifecycle.repository.js';
import { LifecycleService } from 'src/features/lifecycle/lifecycle.service.js';
import { LifecycleStatsRepository } from 'src/features/lifecycle/lifecycle-stats.repository.js';
import { LifecycleWorkerHook } from 'src/features/lifecycle/lifecycle-worker.hook.js';
import { GetLifecycleStatusTool } from 'src/features/lifecycle/mcp/get-lifecycle-status.tool.js';
import { LifecycleResource } from 'src/features/lifecycle/mcp/lifecycle.resource.js';
import { RetryFailedJobsTool } from 'src/features/lifecycle/mcp/retry-failed-jobs.tool.js';
import { RunLifecycleSweepTool } from 'src/features/lifecycle/mcp/run-lifecycle-sweep.tool.js';
import { SetLegalHoldTool } from 'src/features/lifecycle/mcp/set-legal-hold.tool.js';
import { StartupCleanupService } from 'src/features/lifecycle/startup-cleanup.service.js';

@Module({
  imports: [ContextModule, AuditFeatureModule],
  providers: [
    LifecycleRepository,
    LifecycleCleanupRepository,
    LifecycleStatsRepository,
    LifecycleService,
    LifecycleOperatorService,
    StartupCleanupService,
    LifecycleWorkerHook,
    AdvanceSessionHandler,
    LifecycleSweepHandler,
    GetLifecycleStatusTool,
    RunLifecycleSweepTool,
    RetryFailedJobsTool,
    SetLegalHoldTool,
    LifecycleResource,
  ],
  exports: [LifecycleService],
})
export class LifecycleModule {}
