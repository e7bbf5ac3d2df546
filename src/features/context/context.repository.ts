import { Injectable } from '@nestjs/common';

import type { ContextEntry as EntryRow } from 'src/platform/database/generated/client.js';
import { isUniqueViolation } from 'src/platform/database/pg-errors.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import type { AppendedEntry, EntryRecord, EntryType, NewEntry } from 'src/features/context/context.types.js';

@Injectable()
export class ContextRepository {
  constructor(private readonly prisma: PrismaService) {}

  // One statement, one round trip: lock the session row, take the next
  // sequence, reactivate a dormant session (recording the transition) and
  // insert the entry. The row lock serialises appends per session, and the
  // statement is atomic, so sequences stay strictly increasing and gapless.
  // Returns null when nothing was written: the session is missing, read-only,
  // or a ref points at or past the new entry. It runs on every update_context,
  // so it is a prepared statement (see PrismaService).
  async append(entry: NewEntry): Promise<AppendedEntry | null> {
    const rows = await this.prisma.$queryRaw<{ id: string; sequence: number; previous_status: string }[]>`/* prepared:append_entry */
      WITH target AS (
        SELECT id, status FROM sessions
        WHERE namespace = ${entry.namespace}::text AND session_key = ${entry.sessionKey}::text
        FOR UPDATE
      ), bumped AS (
        UPDATE sessions s
        SET last_sequence = s.last_sequence + 1, last_activity_at = ${entry.at}::timestamptz, status = 'active'
        FROM target t
        WHERE s.id = t.id AND t.status IN ('active', 'dormant') AND ${entry.highestRef}::int <= s.last_sequence
        RETURNING s.id, s.last_sequence, t.status AS previous_status
      ), reactivation AS (
        INSERT INTO session_events (session_id, from_status, to_status, reason, at)
        SELECT id, 'dormant', 'active', 'activity', ${entry.at}::timestamptz FROM bumped WHERE previous_status = 'dormant'
      ), inserted AS (
        INSERT INTO context_entries (id, session_id, sequence, type, content, metadata, token_count, content_hash, idempotency_key, created_at)
        SELECT gen_random_uuid(), id, last_sequence, ${entry.type}::entry_type, ${entry.content}::text, ${JSON.stringify(entry.metadata)}::jsonb,
               ${entry.tokenCount}::int, ${entry.contentHash}::text, ${entry.idempotencyKey}::text, ${entry.at}::timestamptz
        FROM bumped
        RETURNING id, sequence
      )
      SELECT inserted.id, inserted.sequence, bumped.previous_status::text AS previous_status FROM inserted, bumped`;
    const row = rows[0];
    return row ? { entryId: row.id, sequence: row.sequence, reactivated: row.previous_status === 'dormant' } : null;
  }

  // Same as append, but when a concurrent writer committed the same
  // idempotency key first, answers 'duplicate' instead of throwing.
  async appendUnlessDuplicate(entry: NewEntry): Promise<AppendedEntry | 'duplicate' | null> {
    try {
      return await this.append(entry);
    } catch (error) {
      if (entry.idempotencyKey !== null && isUniqueViolation(error)) return 'duplicate';
      throw error;
    }
  }

  async findByIdempotencyKey(namespace: string, sessionKey: string, idempotencyKey: string): Promise<EntryRecord | null> {
    const row = await this.prisma.contextEntry.findFirst({ where: { idempotencyKey, session: { namespace, sessionKey } } });
    return row ? toEntryRecord(row) : null;
  }

  async listAfter(sessionId: string, afterSequence: number, limit: number, types?: EntryType[]): Promise<EntryRecord[]> {
    const rows = await this.prisma.contextEntry.findMany({
      where: { sessionId, sequence: { gt: afterSequence }, ...(types && types.length > 0 ? { type: { in: types } } : {}) },
      orderBy: { sequence: 'asc' },
      take: limit,
    });
    return rows.map(toEntryRecord);
  }
}

function toEntryRecord(row: EntryRow): EntryRecord {
  return {
    id: row.id,
    sequence: row.sequence,
    type: row.type,
    content: row.content,
    metadata: (row.metadata ?? {}) as Record<string, unknown>,
    tokenCount: row.tokenCount,
    contentHash: row.contentHash.trim(),
    idempotencyKey: row.idempotencyKey,
    createdAt: row.createdAt,
  };
}
