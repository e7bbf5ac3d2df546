import type { SessionStatus } from 'src/features/sessions/sessions.types.js';

export const LIFECYCLE_QUEUE = 'lifecycle';
export const SWEEP_SCHEDULE_ID = 'lifecycle-sweep';

// What can happen to a session next: active -> dormant, active|dormant ->
// expired, expired -> archived, archived -> purged.
export const TRANSITION_KINDS = ['dormant', 'expire', 'archive', 'purge'] as const;
export type TransitionKind = (typeof TRANSITION_KINDS)[number];

// A session as the lifecycle sees it.
export interface LifecycleState {
  id: string;
  namespace: string;
  sessionKey: string;
  status: SessionStatus;
  tags: string[];
  lastActivityAt: Date;
  expiresAt: Date;
  archivedAt: Date | null;
  legalHold: boolean;
}

export interface DueTransition {
  kind: TransitionKind;
  at: Date;
}

// A conditional update that took effect.
export interface Transitioned {
  id: string;
  namespace: string;
  sessionKey: string;
  from: SessionStatus;
  to: SessionStatus;
}

// A session to look at again at a given time (a delayed job).
export interface ScheduledCheck {
  sessionId: string;
  namespace: string;
  at: Date;
}

export interface ScanCursor {
  at: Date;
  id: string;
}

export interface TransitionCounts {
  dormant: number;
  expired: number;
  archived: number;
  purged: number;
}

// What a sweep did, in all or in one namespace.
export interface SweepFigures {
  transitioned: TransitionCounts;
  // Archives run as their own jobs; the sweep only queues them.
  archivesQueued: number;
  checksScheduled: number;
}

export interface SweepResult extends SweepFigures {
  trigger: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  // The namespace the figures are of; null for every namespace.
  namespace: string | null;
  // A sweep of every namespace keeps each one's figures, so the operators
  // of a namespace see their own and nothing of the others.
  byNamespace?: Record<string, SweepFigures>;
}

// What the sweep hands back to the queue: the result, the archives to run
// now and the checks to schedule.
export interface SweepOutcome {
  result: SweepResult;
  checks: ScheduledCheck[];
}

export interface AdvanceOutcome {
  status: SessionStatus | 'gone';
  transitioned: Transitioned[];
  next: ScheduledCheck | null;
}

export interface CleanupReport {
  startedAt: string;
  durationMs: number;
  quarantined: { contextEntries: number; archivedChunks: number; sessionEvents: number };
  repaired: {
    lastSequenceRaised: number;
    archivedAtFilled: number;
    archivedAtCleared: number;
    liveEntriesArchived: number;
    purgedLeftoversDeleted: number;
  };
  // Found and left alone: no safe automatic repair, or the repair failed.
  reported: { archivedChunksOnUnarchivedSessions: string[]; archiveRepairsFailed: string[] };
  staleJobLocks: number;
}

export interface FailedLifecycleJob {
  jobId: string;
  name: string;
  sessionId: string | null;
  attempts: number;
  reason: string;
  failedAt: Date | null;
}

// What an operator's call covers: one namespace or every one (null), and
// whether it shows the installation's own figures (the shared queue and its
// failed jobs, the start-up check).
export interface OperatorReach {
  namespace: string | null;
  installation: boolean;
}

export interface LifecycleStatus {
  // The namespace the figures are of; null for every namespace.
  namespace: string | null;
  // The shared queue's figures, for a view of the installation only.
  queue: { waiting: number; active: number; delayed: number; completed: number; failed: number; prioritized: number; workers: number } | null;
  sweepSchedule: { everyMs: number | null; nextRunAt: Date | null } | null;
  lastSweep: SweepResult | null;
  // Baton-wide housekeeping, for a view of the installation only.
  lastCleanup: CleanupReport | null;
  // Since the counters were created (they live in PostgreSQL).
  totals: TransitionCounts;
  failedJobs: FailedLifecycleJob[];
  sessionsByStatus: Record<SessionStatus, number>;
}

export interface SweepRun {
  jobId: string;
  state: 'completed' | 'failed' | 'queued' | 'running';
  result: SweepResult | null;
  failure: string | null;
}
