import { Injectable, Logger } from '@nestjs/common';

import { Clock } from 'src/platform/clock/clock.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { ContextService } from 'src/features/context/context.service.js';
import { LifecycleCleanupRepository } from 'src/features/lifecycle/lifecycle-cleanup.repository.js';
import { LifecycleStatsRepository } from 'src/features/lifecycle/lifecycle-stats.repository.js';
import { LIFECYCLE_QUEUE, type CleanupReport } from 'src/features/lifecycle/lifecycle.types.js';

// Sessions re-archived per start; the rest wait for the next start.
const REPAIR_BATCH = 1000;
const REPORT_LIMIT = 100;

// Runs when a worker process starts: finds data no Baton write path should
// leave behind, repairs what has one right answer, quarantines orphans,
// reports the rest, and keeps the report for get_lifecycle_status.
@Injectable()
export class StartupCleanupService {
  private readonly logger = new Logger(StartupCleanupService.name);

  constructor(
    private readonly cleanup: LifecycleCleanupRepository,
    private readonly context: ContextService,
    private readonly queues: QueueService,
    private readonly stats: LifecycleStatsRepository,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<CleanupReport> {
    const now = this.clock.now();
    const started = performance.now();
    const quarantined = await this.cleanup.quarantineOrphans();
    const lastSequenceRaised = await this.cleanup.raiseLastSequence();
    const archivedAtFilled = await this.cleanup.fillArchivedAt(now);
    const archivedAtCleared = await this.cleanup.clearStrayArchivedAt();
    const { archived, failed } = await this.archiveLeftoverEntries(now);
    const purgedLeftoversDeleted = await this.cleanup.deletePurgedLeftovers();
    const report: CleanupReport = {
      startedAt: now.toISOString(),
      durationMs: Math.round(performance.now() - started),
      quarantined,
      repaired: { lastSequenceRaised, archivedAtFilled, archivedAtCleared, liveEntriesArchived: archived, purgedLeftoversDeleted },
      reported: { archivedChunksOnUnarchivedSessions: await this.cleanup.unarchivedWithChunks(REPORT_LIMIT), archiveRepairsFailed: failed },
      staleJobLocks: (await this.queues.staleActiveJobs(LIFECYCLE_QUEUE)).length,
    };
    await this.stats.saveCleanup(report);
    // In the background: the sweep need not wait for it.
    void this.backfillLedgerStates();
    const found = Object.values(report.quarantined).some((n) => n > 0) || Object.values(report.repaired).some((n) => n > 0) || failed.length > 0 || report.reported.archivedChunksOnUnarchivedSessions.length > 0 || report.staleJobLocks > 0;
    if (found) this.logger.warn({ ...report }, 'start-up check found inconsistent data');
    else this.logger.log({ durationMs: report.durationMs }, 'start-up check found nothing to repair');
    return report;
  }

  // Sessions written before ledger states were stored (or with a state of an
  // older version) get theirs now rather than on their first handoff.
  private async backfillLedgerStates(): Promise<void> {
    try {
      const rebuilt = await this.context.backfillLedgerStates(REPAIR_BATCH);
      if (rebuilt > 0) this.logger.log({ rebuilt }, 'ledger states rebuilt from the entries');
    } catch (error) {
      // Not fatal: a missing state is rebuilt when the session is next read.
      this.logger.error({ err: (error as Error).message }, 'could not rebuild ledger states');
    }
  }

  // Archived sessions still holding live entries: move them into the archive.
  private async archiveLeftoverEntries(now: Date): Promise<{ archived: number; failed: string[] }> {
    let archived = 0;
    const failed: string[] = [];
    for (const sessionId of await this.cleanup.archivedWithLiveEntries(REPAIR_BATCH)) {
      try {
        const outcome = await this.context.archiveSession(sessionId, now, (session) => session.status === 'archived' && session.liveEntries > 0);
        if (outcome) archived++;
      } catch (error) {
        this.logger.error({ sessionId, err: (error as Error).message }, 'could not move the live entries of an archived session');
        if (failed.length < REPORT_LIMIT) failed.push(sessionId);
      }
    }
    return { archived, failed };
  }
}
