import { z } from 'zod';

import { ALL_NAMESPACES, operatorNamespace } from 'src/platform/access/access.errors.js';
import { seesInstallation, type Principal } from 'src/platform/access/principal.js';
import type { LifecycleStatus, OperatorReach, SweepResult } from 'src/features/lifecycle/lifecycle.types.js';
import { SESSION_STATUSES } from 'src/features/sessions/sessions.types.js';

export const LIFECYCLE_URI = 'handoff://lifecycle';

// Operator tools act on the caller's namespace; admins may name another, or all.
export const OperatorNamespaceSchema = z
  .string()
  .min(1)
  .max(128)
  .optional()
  .describe(`Admins only: the namespace to act on, or "${ALL_NAMESPACES}" for every namespace; your own when left out`);

export function reachOf(principal: Principal, requested: string | undefined): OperatorReach {
  return { namespace: operatorNamespace(principal, requested), installation: seesInstallation(principal) };
}

const counts = z.object({ dormant: z.number().int(), expired: z.number().int(), archived: z.number().int(), purged: z.number().int() });

export const SweepResultSchema = z.object({
  trigger: z.string().describe('schedule or operator'),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().int(),
  transitioned: counts.describe('Sessions moved by this sweep, per target state'),
  archivesQueued: z.number().int().describe('Sessions due for archiving, handed to their own jobs'),
  checksScheduled: z.number().int().describe('Delayed jobs set for transitions due before the next sweep'),
  namespace: z.string().nullable().describe('The namespace these figures are of; null for every namespace'),
});

export const CleanupReportSchema = z.object({
  startedAt: z.string(),
  durationMs: z.number().int(),
  quarantined: z.object({ contextEntries: z.number().int(), archivedChunks: z.number().int(), sessionEvents: z.number().int() }).describe('Rows without a session, moved to the quarantined_rows table'),
  repaired: z.object({
    lastSequenceRaised: z.number().int(),
    archivedAtFilled: z.number().int(),
    archivedAtCleared: z.number().int(),
    liveEntriesArchived: z.number().int(),
    purgedLeftoversDeleted: z.number().int(),
  }),
  reported: z.object({ archivedChunksOnUnarchivedSessions: z.array(z.string()), archiveRepairsFailed: z.array(z.string()) }).describe('Found but left alone'),
  staleJobLocks: z.number().int().describe('Jobs left running by a dead worker; returned to waiting by the stalled check'),
});

export const LifecycleStatusSchema = z.object({
  namespace: z.string().describe(`The namespace these figures are of; "${ALL_NAMESPACES}" for every namespace`),
  queue: z
    .object({ waiting: z.number().int(), active: z.number().int(), delayed: z.number().int(), completed: z.number().int(), failed: z.number().int(), prioritized: z.number().int(), workers: z.number().int() })
    .nullable()
    .describe('The lifecycle queue across all Baton processes and namespaces (workers is the number of connected worker processes); shown to admins and the local user only, null otherwise'),
  sweepSchedule: z.object({ everyMs: z.number().int().nullable(), nextRunAt: z.string().nullable() }).nullable().describe('The periodic sweep; null until a worker has started'),
  lastSweep: SweepResultSchema.nullable(),
  lastCleanup: CleanupReportSchema.nullable().describe('The last start-up check of a worker (Baton-wide: shown to admins and the local user only, null otherwise)'),
  totals: counts.describe('Transitions applied by the lifecycle since its counters were created, in these namespaces'),
  failedJobs: z
    .array(z.object({ jobId: z.string(), name: z.string(), sessionId: z.string().nullable(), attempts: z.number().int(), reason: z.string(), failedAt: z.string().nullable() }))
    .describe('Jobs of these namespaces that used up their retries, newest first (at most 20); retry them with retry_failed_jobs'),
  sessionsByStatus: z.object(Object.fromEntries(SESSION_STATUSES.map((status) => [status, z.number().int()])) as Record<(typeof SESSION_STATUSES)[number], z.ZodNumber>).describe('Sessions of these namespaces per state'),
});
export type LifecycleStatusView = z.infer<typeof LifecycleStatusSchema>;

export function toLifecycleStatusView(status: LifecycleStatus): LifecycleStatusView {
  return {
    namespace: status.namespace ?? ALL_NAMESPACES,
    queue: status.queue,
    sweepSchedule: status.sweepSchedule ? { everyMs: status.sweepSchedule.everyMs, nextRunAt: status.sweepSchedule.nextRunAt?.toISOString() ?? null } : null,
    lastSweep: status.lastSweep && toSweepView(status.lastSweep),
    lastCleanup: status.lastCleanup,
    totals: status.totals,
    failedJobs: status.failedJobs.map((job) => ({ ...job, failedAt: job.failedAt?.toISOString() ?? null })),
    sessionsByStatus: status.sessionsByStatus,
  };
}

// Only the schema's fields: a stored sweep of every namespace also keeps
// each namespace's figures.
export function toSweepView(result: SweepResult): z.infer<typeof SweepResultSchema> {
  const { trigger, startedAt, finishedAt, durationMs, transitioned, archivesQueued, checksScheduled, namespace } = result;
  return { trigger, startedAt, finishedAt, durationMs, transitioned, archivesQueued, checksScheduled, namespace: namespace ?? null };
}

export function renderSweep(result: SweepResult): string {
  const t = result.transitioned;
  return `${t.dormant} dormant, ${t.expired} expired, ${t.purged} purged, ${result.archivesQueued} archives queued, ${result.checksScheduled} checks scheduled (${result.durationMs} ms)`;
}
