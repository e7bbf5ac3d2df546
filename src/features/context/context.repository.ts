import { Injectable } from '@nestjs/common';

import type { ContextEntry as EntryRow } from 'src/platform/database/generated/client.js';
import { isUniqueViolation } from 'src/platform/database/pg-errors.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import type { AppendedEntry, EntryOutline, EntryRecord, EntryType, NewEntry } from 'src/features/context/context.types.js';

@Injectable()
export class ContextRepository {
  constructor(private readonly prisma: PrismaService) {}

  // One statement, one round trip: lock the session row, take the next
  // sequence, reactivate a dormant session (recording the transition) and
  // insert the entry. The row lock serialises appends per session, and the
  // statement is atomic, so sequences stay strictly increasing and gapless.
  // Returns null when nothing was written: the session is missing, read-only,
  // handed off by the appending agent, or a ref points at or past the new entry.
  async append(entry: NewEntry): Promise<AppendedEntry | null> {
    const rows = await this.prisma.$queryRaw<{ id: string; sequence: number; previous_status: string }[]>`
      WITH target AS (
        SELECT id, status FROM sessions
        WHERE namespace = ${entry.namespace}::text AND session_key = ${entry.sessionKey}::text
        FOR UPDATE
      ), bumped AS (
        UPDATE sessions s
        SET last_sequence = s.last_sequence + 1, last_activity_at = ${entry.at}::timestamptz, status = 'active'
        FROM target t
        WHERE s.id = t.id AND t.status IN ('active', 'dormant') AND ${entry.highestRef}::int <= s.last_sequence
          AND (${entry.agentId}::text IS NULL OR s.agent_id = ${entry.agentId}::text OR NOT (${entry.agentId}::text = ANY(coalesce(s.handed_off_agent_ids, '{}'))))
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

  // Every entry of a session without its content, in order. One JSON value
  // instead of thousands of rows: the driver decodes it in one go, which is
  // what makes this fast for sessions of thousands of entries.
  async outline(sessionId: string): Promise<EntryOutline[]> {
    const rows = await this.prisma.$queryRaw<{ outline: string }[]>`
      SELECT coalesce(json_agg(json_build_array(sequence, type, metadata, token_count, (extract(epoch FROM created_at) * 1000)::bigint) ORDER BY sequence), '[]')::text AS outline
      FROM context_entries WHERE session_id = ${sessionId}::uuid`;
    const tuples = JSON.parse(rows[0]?.outline ?? '[]') as [number, EntryType, Record<string, unknown> | null, number, number][];
    return tuples.map(([sequence, type, metadata, tokenCount, at]) => ({ sequence, type, metadata: metadata ?? {}, tokenCount, createdAt: new Date(at) }));
  }

  // The first `maxChars` characters of the content of some entries.
  async contents(sessionId: string, sequences: number[], maxChars: number): Promise<Map<number, string>> {
    if (sequences.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<{ sequence: number; content: string }[]>`
      SELECT sequence, left(content, ${maxChars}::int) AS content FROM context_entries WHERE session_id = ${sessionId}::uuid AND sequence = ANY(${sequences}::int[])`;
    return new Map(rows.map((r) => [r.sequence, r.content]));
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
