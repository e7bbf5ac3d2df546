import { Injectable } from '@nestjs/common';

import { Prisma } from 'src/platform/database/generated/client.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';

// Tables whose rows belong to a session; the names are constants, never input.
type OrphanTable = 'context_entries' | 'context_entry_archives' | 'session_events';

// The start-up check's queries. Each one is a single idempotent statement,
// so workers starting together cannot double a repair or a quarantine.
@Injectable()
export class LifecycleCleanupRepository {
  constructor(private readonly prisma: PrismaService) {}

  // Rows whose session is gone (foreign keys disabled during a restore, a
  // replica promoted mid-write) are moved, as JSON, to quarantined_rows.
  async quarantineOrphans(): Promise<{ contextEntries: number; archivedChunks: number; sessionEvents: number }> {
    return {
      contextEntries: await this.quarantineOrphansOf('context_entries', 'orphaned entry'),
      archivedChunks: await this.quarantineOrphansOf('context_entry_archives', 'orphaned archive chunk'),
      sessionEvents: await this.quarantineOrphansOf('session_events', 'orphaned event'),
    };
  }

  private async quarantineOrphansOf(table: OrphanTable, what: string): Promise<number> {
    return this.count(this.prisma.$queryRaw<{ count: bigint }[]>`
      WITH moved AS (
        DELETE FROM ${Prisma.raw(table)} t WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = t.session_id) RETURNING t.*
      ), kept AS (
        INSERT INTO quarantined_rows (source_table, reason, row)
        SELECT ${table}, ${what} || ': session ' || session_id || ' does not exist', to_jsonb(moved) FROM moved RETURNING 1
      )
      SELECT count(*) AS count FROM kept`);
  }

  // A last_sequence below a stored entry would make every later append
  // collide with it: raise it to the highest stored sequence.
  async raiseLastSequence(): Promise<number> {
    return this.count(this.prisma.$queryRaw<{ count: bigint }[]>`
      WITH stored AS (
        SELECT session_id, max(sequence) AS top FROM context_entries GROUP BY session_id
        UNION ALL
        SELECT session_id, max(last_sequence) AS top FROM context_entry_archives GROUP BY session_id
      ), fixed AS (
        UPDATE sessions s SET last_sequence = t.top
        FROM (SELECT session_id, max(top) AS top FROM stored GROUP BY session_id) t
        WHERE s.id = t.session_id AND s.last_sequence < t.top
        RETURNING 1
      )
      SELECT count(*) AS count FROM fixed`);
  }

  // Archived (or purged) sessions must say when they were archived: take the
  // time of their archive event, or now.
  async fillArchivedAt(at: Date): Promise<number> {
    return this.prisma.$executeRaw`
      UPDATE sessions s
      SET archived_at = COALESCE((SELECT max(e.at) FROM session_events e WHERE e.session_id = s.id AND e.to_status = 'archived'), ${at}::timestamptz)
      WHERE s.status IN ('archived', 'purged') AND s.archived_at IS NULL`;
  }

  async clearStrayArchivedAt(): Promise<number> {
    return this.prisma.$executeRaw`UPDATE sessions SET archived_at = NULL WHERE status IN ('active', 'dormant', 'expired') AND archived_at IS NOT NULL`;
  }

  // Archived sessions that still hold live entries (the status was set by
  // hand, or by an older Baton without cold storage).
  async archivedWithLiveEntries(limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT s.id FROM sessions s
      WHERE s.status = 'archived' AND EXISTS (SELECT 1 FROM context_entries e WHERE e.session_id = s.id)
      LIMIT ${limit}::int`;
    return rows.map((row) => row.id);
  }

  // What a purge interrupted by a crash (or a hand-edited status) left behind.
  async deletePurgedLeftovers(): Promise<number> {
    return this.count(this.prisma.$queryRaw<{ count: bigint }[]>`
      WITH purged AS (SELECT id FROM sessions WHERE status = 'purged'),
      live AS (DELETE FROM context_entries WHERE session_id IN (SELECT id FROM purged) RETURNING 1),
      cold AS (DELETE FROM context_entry_archives WHERE session_id IN (SELECT id FROM purged) RETURNING 1),
      analyses AS (DELETE FROM codebase_analyses WHERE session_id IN (SELECT id FROM purged) RETURNING 1)
      SELECT (SELECT count(*) FROM live) + (SELECT count(*) FROM cold) + (SELECT count(*) FROM analyses) AS count`);
  }

  // Sessions that are not archived yet hold archive chunks: still readable,
  // but nothing says which copy is right, so they are only reported.
  async unarchivedWithChunks(limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ session_key: string }[]>`
      SELECT s.session_key FROM sessions s
      WHERE s.status IN ('active', 'dormant', 'expired') AND EXISTS (SELECT 1 FROM context_entry_archives a WHERE a.session_id = s.id)
      LIMIT ${limit}::int`;
    return rows.map((row) => row.session_key);
  }

  private async count(query: Promise<{ count: bigint }[]>): Promise<number> {
    return Number((await query)[0]?.count ?? 0);
  }
}
