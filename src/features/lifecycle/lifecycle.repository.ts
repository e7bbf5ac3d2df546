import { Injectable } from '@nestjs/common';

import { Prisma } from 'src/platform/database/generated/client.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import type { LifecycleState, ScanCursor, Transitioned, TransitionKind } from 'src/features/lifecycle/lifecycle.types.js';
import { SESSION_STATUSES, type SessionStatus } from 'src/features/sessions/sessions.types.js';

interface StateRow {
  id: string;
  namespace: string;
  session_key: string;
  status: SessionStatus;
  tags: string[] | null;
  last_activity_at: Date;
  expires_at: Date;
  archived_at: Date | null;
  legal_hold: boolean;
}

interface TransitionedRow {
  id: string;
  namespace: string;
  session_key: string;
  from_status: SessionStatus;
  to_status: SessionStatus;
}

// A transition applied to chosen sessions, each with the latest time its
// clock column may hold for the transition to be due.
export interface DueItem {
  id: string;
  cutoff: Date;
}

interface TransitionSpec {
  // The sessions considered, as `s` (joined with `due` for per-session cutoffs).
  from: Prisma.Sql;
  where: Prisma.Sql;
  to: SessionStatus;
  reason: string;
  limit: number;
  alsoSet?: Prisma.Sql;
  // Delete the session's live and archived entries and its codebase analyses (a purge).
  alsoDelete?: boolean;
}

const STATE_COLUMNS = Prisma.sql`id, namespace, session_key, status::text AS status, tags, last_activity_at, expires_at, archived_at, legal_hold`;

// Which sessions each scan of the sweeper walks, and the clock column it walks
// them by (its index is (status, column)).
const SCANS: Record<TransitionKind, { where: Prisma.Sql; column: Prisma.Sql }> = {
  dormant: { where: Prisma.sql`status = 'active'`, column: Prisma.sql`last_activity_at` },
  expire: { where: Prisma.sql`status IN ('active', 'dormant')`, column: Prisma.sql`expires_at` },
  archive: { where: Prisma.sql`status = 'expired'`, column: Prisma.sql`expires_at` },
  purge: { where: Prisma.sql`status = 'archived' AND NOT legal_hold`, column: Prisma.sql`archived_at` },
};

// Every transition is one conditional statement: it locks the sessions that
// still qualify (re-checked on the latest row version after any wait), moves
// them, and records a session_event for each. A session that changed
// meanwhile (an append, another worker) simply does not qualify, so nothing
// transitions twice and no activity is lost. The sweeper passes skipLocked:
// a row locked by an append is busy, hence not idle, and waiting on it would
// only slow the sweep.
@Injectable()
export class LifecycleRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findState(sessionId: string): Promise<LifecycleState | null> {
    const rows = await this.prisma.$queryRaw<StateRow[]>`SELECT ${STATE_COLUMNS} FROM sessions WHERE id = ${sessionId}::uuid`;
    return rows[0] ? toState(rows[0]) : null;
  }

  async findStateByKey(namespace: string, sessionKey: string): Promise<LifecycleState | null> {
    const rows = await this.prisma.$queryRaw<StateRow[]>`SELECT ${STATE_COLUMNS} FROM sessions WHERE namespace = ${namespace}::text AND session_key = ${sessionKey}::text`;
    return rows[0] ? toState(rows[0]) : null;
  }

  // Sessions that may be due for `kind` by `bound` (their clock column is at
  // or before it), in keyset pages; of one namespace, or of all (null).
  async scan(kind: TransitionKind, bound: Date, after: ScanCursor | null, limit: number, namespace: string | null): Promise<{ states: LifecycleState[]; cursor: ScanCursor | null }> {
    const { where, column } = SCANS[kind];
    const rows = await this.prisma.$queryRaw<(StateRow & { scan_at: Date })[]>`
      SELECT ${STATE_COLUMNS}, ${column} AS scan_at FROM sessions
      WHERE ${where} AND ${column} <= ${bound}::timestamptz ${inNamespace(namespace)}
        ${after ? Prisma.sql`AND (${column}, id) > (${after.at}::timestamptz, ${after.id}::uuid)` : Prisma.empty}
      ORDER BY ${column}, id
      LIMIT ${limit}::int`;
    const last = rows.at(-1);
    return { states: rows.map(toState), cursor: last ? { at: last.scan_at, id: last.id } : null };
  }

  // active|dormant -> expired for sessions past expiresAt: the given ones, or
  // up to `limit` of any (of one namespace, when given).
  async expire(at: Date, options: { ids?: string[]; limit: number; skipLocked: boolean; namespace?: string | null }): Promise<Transitioned[]> {
    return this.transition(
      {
        from: Prisma.sql`sessions s`,
        where: Prisma.sql`s.status IN ('active', 'dormant') AND s.expires_at <= ${at}::timestamptz ${options.ids ? Prisma.sql`AND s.id = ANY(${options.ids}::uuid[])` : Prisma.empty} ${inNamespace(options.namespace ?? null, Prisma.sql`s.namespace`)}`,
        to: 'expired',
        reason: 'expired: expiresAt passed',
        limit: options.limit,
      },
      at,
      options.skipLocked,
    );
  }

  // active -> dormant where lastActivityAt is still at or before the cutoff.
  async makeDormant(items: readonly DueItem[], at: Date, skipLocked: boolean): Promise<Transitioned[]> {
    if (items.length === 0) return [];
    return this.transition(
      {
        from: dueSessions(items),
        where: Prisma.sql`s.status = 'active' AND s.last_activity_at <= due.cutoff AND s.expires_at > ${at}::timestamptz`,
        to: 'dormant',
        reason: 'idle: no activity within the idle time',
        limit: items.length,
      },
      at,
      skipLocked,
    );
  }

  // archived -> purged where archivedAt is at or before the cutoff and no
  // legal hold applies: the entries and the summary are deleted; the row
  // stays as a tombstone (key, owner, tags, timestamps, lifecycle history).
  async purge(items: readonly DueItem[], at: Date, skipLocked: boolean): Promise<Transitioned[]> {
    if (items.length === 0) return [];
    return this.transition(
      {
        from: dueSessions(items),
        where: Prisma.sql`s.status = 'archived' AND NOT s.legal_hold AND s.archived_at <= due.cutoff`,
        to: 'purged',
        reason: 'purged: retention period over',
        limit: items.length,
        alsoSet: Prisma.sql`, title = NULL, metadata = '{}', summary = NULL, repo_root = NULL, repo_remote = NULL, repo_branch = NULL, repo_commit = NULL, repo_dirty_files = '{}'`,
        alsoDelete: true,
      },
      at,
      skipLocked,
    );
  }

  // The one statement behind every transition. Waiting for locks happens in
  // id order, so two waiting transitions cannot deadlock; with skipLocked
  // nothing waits, and the index order is kept for speed.
  private async transition(spec: TransitionSpec, at: Date, skipLocked: boolean): Promise<Transitioned[]> {
    const rows = await this.prisma.$queryRaw<TransitionedRow[]>`
      WITH locked AS (
        SELECT s.id, s.status FROM ${spec.from}
        WHERE ${spec.where}
        ${skipLocked ? Prisma.empty : Prisma.sql`ORDER BY s.id`}
        LIMIT ${spec.limit}::int
        FOR UPDATE OF s ${skipLocked ? Prisma.sql`SKIP LOCKED` : Prisma.empty}
      ), changed AS (
        UPDATE sessions s SET status = ${spec.to}::session_status ${spec.alsoSet ?? Prisma.empty} FROM locked l WHERE s.id = l.id
        RETURNING s.id, s.namespace, s.session_key, l.status AS from_status, s.status AS to_status
      ), ${
        spec.alsoDelete
          ? Prisma.sql`live AS (DELETE FROM context_entries WHERE session_id IN (SELECT id FROM changed)),
               cold AS (DELETE FROM context_entry_archives WHERE session_id IN (SELECT id FROM changed)),
               analyses AS (DELETE FROM codebase_analyses WHERE session_id IN (SELECT id FROM changed)),
               ledger AS (DELETE FROM ledger_states WHERE session_id IN (SELECT id FROM changed)),`
          : Prisma.empty
      } recorded AS (
        INSERT INTO session_events (session_id, from_status, to_status, reason, at)
        SELECT id, from_status, to_status, ${spec.reason}, ${at}::timestamptz FROM changed
      )
      SELECT id, namespace, session_key, from_status::text AS from_status, to_status::text AS to_status FROM changed`;
    return rows.map(toTransitioned);
  }

  // Records the change in the session's history (status unchanged) so the
  // hold is auditable.
  async setLegalHold(namespace: string, sessionKey: string, hold: boolean, reason: string, at: Date): Promise<LifecycleState | null> {
    const rows = await this.prisma.$queryRaw<StateRow[]>`
      WITH changed AS (
        UPDATE sessions SET legal_hold = ${hold}
        WHERE namespace = ${namespace}::text AND session_key = ${sessionKey}::text
        RETURNING ${STATE_COLUMNS}
      ), recorded AS (
        INSERT INTO session_events (session_id, from_status, to_status, reason, at)
        SELECT id, status::session_status, status::session_status, ${`${hold ? 'legal hold placed' : 'legal hold lifted'}: ${reason}`.slice(0, 512)}, ${at}::timestamptz FROM changed
      )
      SELECT * FROM changed`;
    return rows[0] ? toState(rows[0]) : null;
  }

  // Of one namespace, or of all (null).
  async countByStatus(namespace: string | null): Promise<Record<SessionStatus, number>> {
    const rows = await this.prisma.$queryRaw<{ status: SessionStatus; count: bigint }[]>`
      SELECT status::text AS status, count(*) AS count FROM sessions WHERE true ${inNamespace(namespace)} GROUP BY status`;
    const counts = Object.fromEntries(SESSION_STATUSES.map((status) => [status, 0])) as Record<SessionStatus, number>;
    for (const row of rows) counts[row.status] = Number(row.count);
    return counts;
  }
}

function inNamespace(namespace: string | null, column = Prisma.sql`namespace`): Prisma.Sql {
  return namespace === null ? Prisma.empty : Prisma.sql`AND ${column} = ${namespace}::text`;
}

function dueSessions(items: readonly DueItem[]): Prisma.Sql {
  return Prisma.sql`sessions s JOIN unnest(${items.map((i) => i.id)}::uuid[], ${items.map((i) => i.cutoff)}::timestamptz[]) AS due(id, cutoff) ON due.id = s.id`;
}

function toState(row: StateRow): LifecycleState {
  return {
    id: row.id,
    namespace: row.namespace,
    sessionKey: row.session_key,
    status: row.status,
    tags: row.tags ?? [],
    lastActivityAt: row.last_activity_at,
    expiresAt: row.expires_at,
    archivedAt: row.archived_at,
    legalHold: row.legal_hold,
  };
}

function toTransitioned(row: TransitionedRow): Transitioned {
  return { id: row.id, namespace: row.namespace, sessionKey: row.session_key, from: row.from_status, to: row.to_status };
}
