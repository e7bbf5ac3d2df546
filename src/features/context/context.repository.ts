import { Injectable } from '@nestjs/common';

import { Prisma, type ContextEntry as EntryRow } from 'src/platform/database/generated/client.js';
import { isUniqueViolation } from 'src/platform/database/pg-errors.js';
import type { PreparedStatements } from 'src/platform/database/prepared-statements.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import { CHUNK_MAX_ENTRIES, unpackChunk } from 'src/features/context/entry-archive.codec.js';
import type { AppendedEntry, ArchivableSession, ArchiveChunk, ArchiveOutcome, ArchivePlan, EntryOutline, EntryRecord, EntryType, NewEntry } from 'src/features/context/context.types.js';

interface ListedRow {
  id: string | null;
  sequence: number;
  type: EntryType | null;
  content: string | null;
  metadata: Record<string, unknown> | null;
  token_count: number | null;
  content_hash: string | null;
  idempotency_key: string | null;
  created_at: Date | null;
  payload: Uint8Array | null;
}

// An archive moves every entry of a session at once, in one transaction;
// large sessions need longer than Prisma's 5 s default.
const ARCHIVE_TRANSACTION = { timeout: 5 * 60_000, maxWait: 10_000 };

// $1 namespace, $2 session key, $3 now, $4 highest ref, $5 agent id, then the
// entry: $6 type, $7 content, $8 metadata (JSON), $9 token count, $10 content
// hash, $11 idempotency key.
const APPEND_ENTRY_SQL = `/* prepared:append_entry */
  WITH target AS (
    SELECT id, status FROM sessions
    WHERE namespace = $1::text AND session_key = $2::text
    FOR UPDATE
  ), bumped AS (
    UPDATE sessions s
    SET last_sequence = s.last_sequence + 1, last_activity_at = $3::timestamptz, status = 'active',
        expires_at = CASE WHEN s.ttl_seconds IS NULL OR s.max_expires_at IS NULL THEN s.expires_at
                          ELSE GREATEST(s.expires_at, LEAST($3::timestamptz + make_interval(secs => s.ttl_seconds), s.max_expires_at)) END
    FROM target t
    WHERE s.id = t.id AND t.status IN ('active', 'dormant') AND s.expires_at > $3::timestamptz AND $4::int <= s.last_sequence
      AND ($5::text IS NULL OR s.agent_id = $5::text OR NOT ($5::text = ANY(coalesce(s.handed_off_agent_ids, '{}'))))
    RETURNING s.id, s.last_sequence, t.status AS previous_status
  ), reactivation AS (
    INSERT INTO session_events (session_id, from_status, to_status, reason, at)
    SELECT id, 'dormant', 'active', 'activity', $3::timestamptz FROM bumped WHERE previous_status = 'dormant'
  ), inserted AS (
    INSERT INTO context_entries (id, session_id, sequence, type, content, metadata, token_count, content_hash, idempotency_key, created_at)
    SELECT gen_random_uuid(), id, last_sequence, $6::entry_type, $7::text, $8::jsonb, $9::int, $10::text, $11::text, $3::timestamptz
    FROM bumped
    RETURNING id, sequence
  )
  SELECT inserted.id, inserted.sequence, bumped.previous_status::text AS previous_status, bumped.id AS session_id FROM inserted, bumped`;

@Injectable()
export class ContextRepository {
  private readonly statements: PreparedStatements;

  constructor(private readonly prisma: PrismaService) {
    this.statements = prisma.prepared;
  }

  // One statement, one round trip: lock the session row, take the next
  // sequence, reactivate a dormant session (recording the transition), push
  // expiresAt to now + the session's ttl (never past its maxExpiresAt) and
  // insert the entry. The row lock serialises appends per session, and the
  // statement is atomic, so sequences stay strictly increasing and gapless.
  // Returns null when nothing was written: the session is missing, read-only
  // or past its expiresAt, handed off by the appending agent, or a ref points
  // at or past the new entry. It runs on every update_context, so it is a
  // prepared statement (see PreparedStatements).
  async append(entry: NewEntry): Promise<AppendedEntry | null> {
    const rows = await this.statements.run<{ id: string; sequence: number; previous_status: string; session_id: string }>('append_entry', APPEND_ENTRY_SQL, [
      entry.namespace,
      entry.sessionKey,
      // pg would format a Date in the local zone, field by field; the ISO form is one native call.
      entry.at.toISOString(),
      entry.highestRef,
      entry.agentId,
      entry.type,
      entry.content,
      JSON.stringify(entry.metadata),
      entry.tokenCount,
      entry.contentHash,
      entry.idempotencyKey,
    ]);
    const row = rows[0];
    return row ? { entryId: row.id, sessionId: row.session_id, sequence: row.sequence, reactivated: row.previous_status === 'dormant' } : null;
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

  // Live entries and archived chunks are read in one statement, so a read
  // racing the archiver sees the entries on exactly one side of the move.
  // With `maxBytes`, live entries more than one past the one whose content
  // crosses it are not read out: the caller trims the page to its exact size
  // and sees from the one extra row that more follow. So a page of large
  // entries never loads `limit` of them.
  async listAfter(sessionId: string, afterSequence: number, limit: number, types?: EntryType[], maxBytes = Number.MAX_SAFE_INTEGER): Promise<EntryRecord[]> {
    const filtered = types && types.length > 0;
    const chunksPerRead = Math.ceil(limit / CHUNK_MAX_ENTRIES) + 1;
    const rows = await this.prisma.$queryRaw<ListedRow[]>`
      (SELECT id, sequence, type, content, metadata, token_count, content_hash, idempotency_key, created_at, NULL::bytea AS payload
       FROM (
         SELECT *, coalesce(sum(octet_length(content)) OVER (ORDER BY sequence ROWS BETWEEN UNBOUNDED PRECEDING AND 2 PRECEDING), 0) AS bytes_before_previous
         FROM (
           SELECT id, sequence, type::text AS type, content, metadata, token_count, content_hash, idempotency_key, created_at
           FROM context_entries
           WHERE session_id = ${sessionId}::uuid AND sequence > ${afterSequence}::int ${filtered ? Prisma.sql`AND type = ANY(${types}::entry_type[])` : Prisma.empty}
           ORDER BY sequence LIMIT ${limit}::int) page) live
       WHERE bytes_before_previous < ${maxBytes}::bigint
       ORDER BY sequence)
      UNION ALL
      (SELECT NULL, last_sequence, NULL, NULL, NULL, NULL, NULL, NULL, NULL, payload
       FROM context_entry_archives
       WHERE session_id = ${sessionId}::uuid AND last_sequence > ${afterSequence}::int ${filtered ? Prisma.sql`AND types && ${types}::entry_type[]` : Prisma.empty}
       ORDER BY first_sequence LIMIT ${chunksPerRead}::int)`;
    const live = rows.filter((row) => row.payload === null).map(fromListedRow);
    const chunks = rows.filter((row) => row.payload !== null);
    if (chunks.length === 0) return live;
    const keep = (entry: EntryRecord) => entry.sequence > afterSequence && (!filtered || (types as EntryType[]).includes(entry.type));
    const archived: EntryRecord[] = [];
    let batch = chunks;
    // Type filters can leave chunks nearly empty: read on until the page is full.
    for (;;) {
      for (const chunk of batch) archived.push(...(await unpackChunk(chunk.payload as Uint8Array)).filter(keep));
      if (archived.length >= limit || batch.length < chunksPerRead) break;
      batch = await this.archivedChunksAfter(sessionId, (batch.at(-1) as ListedRow).sequence, chunksPerRead, filtered ? types : undefined);
    }
    return mergeBySequence(live, archived).slice(0, limit);
  }

  // The entries after `afterSequence` without their content, in order. One
  // JSON value instead of thousands of rows: the driver decodes it in one
  // go, which is what makes this fast for sessions of thousands of entries.
  // An archived session's entries come from its chunks.
  async outline(sessionId: string, afterSequence = 0): Promise<EntryOutline[]> {
    const rows = await this.prisma.$queryRaw<{ outline: string }[]>`
      SELECT coalesce(json_agg(json_build_array(sequence, type, metadata, token_count, (extract(epoch FROM created_at) * 1000)::bigint) ORDER BY sequence), '[]')::text AS outline
      FROM context_entries WHERE session_id = ${sessionId}::uuid AND sequence > ${afterSequence}::int`;
    const live = parseOutline(rows[0]?.outline);
    const archived = await this.archivedEntries(sessionId, Prisma.sql`AND last_sequence > ${afterSequence}::int`);
    if (archived.length === 0) return live;
    const fromChunks = archived.filter((e) => e.sequence > afterSequence).map(({ sequence, type, metadata, tokenCount, createdAt }) => ({ sequence, type, metadata, tokenCount, createdAt }));
    return mergeBySequence(live, fromChunks);
  }

  // The outline of some entries, live or archived, in order.
  async outlineOf(sessionId: string, sequences: number[]): Promise<EntryOutline[]> {
    if (sequences.length === 0) return [];
    const rows = await this.prisma.$queryRaw<{ outline: string }[]>`
      SELECT coalesce(json_agg(json_build_array(e.sequence, e.type, e.metadata, e.token_count, (extract(epoch FROM e.created_at) * 1000)::bigint) ORDER BY e.sequence), '[]')::text AS outline
      FROM ${liveEntriesAt(sessionId, sequences, Prisma.sql`sequence, type, metadata, token_count, created_at`)}`;
    const live = parseOutline(rows[0]?.outline);
    if (live.length === sequences.length) return live;
    const found = new Set(live.map((e) => e.sequence));
    const archived = (await this.archivedEntriesAt(sessionId, sequences.filter((s) => !found.has(s)))).map(({ sequence, type, metadata, tokenCount, createdAt }) => ({ sequence, type, metadata, tokenCount, createdAt }));
    return mergeBySequence(live, archived);
  }

  // The first `maxChars` characters of the content of some entries, live or archived.
  async contents(sessionId: string, sequences: number[], maxChars: number): Promise<Map<number, string>> {
    if (sequences.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<{ sequence: number; content: string }[]>`
      SELECT e.sequence, e.content FROM ${liveEntriesAt(sessionId, sequences, Prisma.sql`sequence, left(content, ${maxChars}::int) AS content`)}`;
    const found = new Map(rows.map((r) => [r.sequence, r.content]));
    if (found.size === sequences.length) return found;
    for (const entry of await this.archivedEntriesAt(sessionId, sequences.filter((sequence) => !found.has(sequence)))) found.set(entry.sequence, entry.content.slice(0, maxChars));
    return found;
  }

  // Archived entries (none for a live session), in order, from the chunks
  // the condition selects.
  private async archivedEntries(sessionId: string, condition: Prisma.Sql = Prisma.empty): Promise<EntryRecord[]> {
    const chunks = await this.prisma.$queryRaw<{ payload: Uint8Array }[]>`
      SELECT payload FROM context_entry_archives WHERE session_id = ${sessionId}::uuid ${condition} ORDER BY first_sequence`;
    const entries: EntryRecord[] = [];
    for (const chunk of chunks) entries.push(...(await unpackChunk(chunk.payload)));
    return entries;
  }

  // The archived entries with these sequences, reading only the chunks that hold them.
  private async archivedEntriesAt(sessionId: string, sequences: number[]): Promise<EntryRecord[]> {
    if (sequences.length === 0) return [];
    const wanted = new Set(sequences);
    const chunks = await this.archivedEntries(sessionId, Prisma.sql`AND EXISTS (SELECT 1 FROM unnest(${sequences}::int[]) AS w(sequence) WHERE w.sequence BETWEEN first_sequence AND last_sequence)`);
    return chunks.filter((entry) => wanted.has(entry.sequence));
  }

  private async archivedChunksAfter(sessionId: string, afterSequence: number, count: number, types?: EntryType[]): Promise<ListedRow[]> {
    return this.prisma.$queryRaw<ListedRow[]>`
      SELECT last_sequence AS sequence, payload FROM context_entry_archives
      WHERE session_id = ${sessionId}::uuid AND last_sequence > ${afterSequence}::int ${types ? Prisma.sql`AND types && ${types}::entry_type[]` : Prisma.empty}
      ORDER BY first_sequence LIMIT ${count}::int`;
  }

  // Moves every live entry of the session into compressed chunks, stores the
  // summary and marks the session archived, in one transaction under the
  // session's row lock: a crash at any point leaves the session as it was,
  // and a second run finds nothing to do. `due` decides, on the locked row,
  // whether to go ahead; `plan` turns the entries into chunks and a summary.
  // Chunks already archived (a repair) are read back and rewritten with the
  // rest, so the summary covers the whole ledger.
  async archive(
    sessionId: string,
    at: Date,
    due: (session: ArchivableSession) => boolean,
    plan: (live: EntryRecord[], archived: EntryRecord[]) => Promise<ArchivePlan>,
  ): Promise<ArchiveOutcome | null> {
    return this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string; namespace: string; session_key: string; status: ArchivableSession['status']; expires_at: Date; tags: string[] | null }[]>`
        SELECT id, namespace, session_key, status::text AS status, expires_at, tags FROM sessions WHERE id = ${sessionId}::uuid FOR UPDATE`;
      const row = locked[0];
      if (!row) return null;
      const liveEntries = await tx.contextEntry.count({ where: { sessionId } });
      const session: ArchivableSession = { id: row.id, namespace: row.namespace, sessionKey: row.session_key, status: row.status, expiresAt: row.expires_at, tags: row.tags ?? [], liveEntries };
      if (!due(session)) return null;
      const live = (await tx.contextEntry.findMany({ where: { sessionId }, orderBy: { sequence: 'asc' } })).map(toEntryRecord);
      const stored = await tx.contextEntryArchive.findMany({ where: { sessionId }, select: { payload: true }, orderBy: { firstSequence: 'asc' } });
      const archived = (await Promise.all(stored.map((chunk) => unpackChunk(chunk.payload)))).flat();
      const { chunks, summary, duplicates } = await plan(live, archived);
      if (duplicates.length > 0) {
        await tx.quarantinedRow.createMany({
          data: duplicates.map((entry) => ({ sourceTable: 'context_entries', reason: `session ${session.sessionKey} (${sessionId}): entry ${entry.sequence} is already in the archive`, row: toQuarantineJson(sessionId, entry) })),
        });
      }
      await tx.contextEntryArchive.deleteMany({ where: { sessionId } });
      await tx.contextEntryArchive.createMany({ data: chunks.map((chunk) => toChunkRow(sessionId, chunk, at)) });
      await tx.contextEntry.deleteMany({ where: { sessionId } });
      await tx.$executeRaw`
        UPDATE sessions SET status = 'archived', archived_at = COALESCE(archived_at, ${at}::timestamptz), summary = ${JSON.stringify(summary)}::jsonb
        WHERE id = ${sessionId}::uuid`;
      if (session.status !== 'archived') {
        await tx.sessionEvent.create({ data: { sessionId, fromStatus: session.status, toStatus: 'archived', reason: 'archived: entries moved to cold storage', at } });
      }
      return {
        namespace: session.namespace,
        sessionKey: session.sessionKey,
        previousStatus: session.status,
        entryCount: summary.entryCount,
        rawBytes: chunks.reduce((sum, chunk) => sum + chunk.rawBytes, 0),
        storedBytes: chunks.reduce((sum, chunk) => sum + chunk.payload.byteLength, 0),
        duplicates: duplicates.length,
      };
    }, ARCHIVE_TRANSACTION);
  }
}

// A session's live entries at some sequences, as `e`: one probe of the
// (session, sequence) key per sequence wanted, so the cost follows how many
// are wanted. A plain `sequence = ANY(...)` let the planner scan every entry
// of the session when its statistics were stale (a session that grew fast),
// 38 ms instead of 2.5 ms for 500 of 100,000 entries.
function liveEntriesAt(sessionId: string, sequences: number[], columns: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(SELECT DISTINCT unnest(${sequences}::int[])) AS wanted(sequence)
    CROSS JOIN LATERAL (SELECT ${columns} FROM context_entries WHERE session_id = ${sessionId}::uuid AND sequence = wanted.sequence LIMIT 1) AS e`;
}

function parseOutline(json: string | undefined): EntryOutline[] {
  const tuples = JSON.parse(json ?? '[]') as [number, EntryType, Record<string, unknown> | null, number, number][];
  return tuples.map(([sequence, type, metadata, tokenCount, at]) => ({ sequence, type, metadata: metadata ?? {}, tokenCount, createdAt: new Date(at) }));
}

function fromListedRow(row: ListedRow): EntryRecord {
  return {
    id: row.id as string,
    sequence: row.sequence,
    type: row.type as EntryType,
    content: row.content as string,
    metadata: row.metadata ?? {},
    tokenCount: row.token_count as number,
    contentHash: (row.content_hash as string).trim(),
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at as Date,
  };
}

// Live and archived entries are disjoint except after a failed repair; the
// archived copy wins, as it is the one the summary describes.
function mergeBySequence<T extends { sequence: number }>(live: T[], archived: T[]): T[] {
  const bySequence = new Map<number, T>();
  for (const entry of live) bySequence.set(entry.sequence, entry);
  for (const entry of archived) bySequence.set(entry.sequence, entry);
  return [...bySequence.values()].sort((a, b) => a.sequence - b.sequence);
}

function toChunkRow(sessionId: string, chunk: ArchiveChunk, at: Date) {
  return {
    sessionId,
    firstSequence: chunk.firstSequence,
    lastSequence: chunk.lastSequence,
    entryCount: chunk.entryCount,
    types: chunk.types,
    rawBytes: chunk.rawBytes,
    payload: chunk.payload as Uint8Array<ArrayBuffer>,
    archivedAt: at,
  };
}

function toQuarantineJson(sessionId: string, entry: EntryRecord): Prisma.InputJsonObject {
  return { ...entry, sessionId, createdAt: entry.createdAt.toISOString() } as unknown as Prisma.InputJsonObject;
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
