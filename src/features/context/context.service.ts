import { createHash } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { Clock } from 'src/platform/clock/clock.js';
import { EventBusService } from 'src/platform/events/event-bus.service.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';
import { echo } from 'src/platform/input/input-guard.js';
import { INT4_MAX } from 'src/platform/input/whole-number.js';
import { countTextTokensAsync } from 'src/platform/tokens/token-counter.js';
import { ContextError, ContextErrorCode } from 'src/features/context/context.errors.js';
import { ContextRepository } from 'src/features/context/context.repository.js';
import { decodeLedgerState, encodeLedgerState, LEDGER_STATE_VERSION } from 'src/features/context/ledger-state.codec.js';
import { applyEntry, emptyLedgerState } from 'src/features/context/ledger-state.reducer.js';
import { LedgerStateRepository } from 'src/features/context/ledger-state.repository.js';
import {
  ENTRY_TYPES,
  type AppendEntryInput,
  type AppendResult,
  type ArchivableSession,
  type ArchiveOutcome,
  type ArchivePlan,
  type ContextPage,
  type ContextQuery,
  type EntryOutline,
  type EntryRecord,
  type LedgerState,
  type NewEntry,
} from 'src/features/context/context.types.js';
import { packEntries } from 'src/features/context/entry-archive.codec.js';
import { summarizeLedger } from 'src/features/context/ledger-summary.js';
import { SESSION_EVENTS, SessionsService } from 'src/features/sessions/sessions.service.js';

export const CONTEXT_EVENTS = { appended: 'context.appended' } as const;

// Every this many entries an append brings the stored ledger state up to
// date (after answering), so a reader applies at most about this many.
export const LEDGER_CHECKPOINT_EVERY = 128;
// A read stores the state it reached only when it applied at least this many
// entries: applying a few again costs less than writing the state of a long
// session (tens of KiB) on every read.
export const LEDGER_STORE_AFTER = 32;

@Injectable()
export class ContextService {
  private readonly metrics = batonMetrics();
  private readonly logger = new Logger(ContextService.name);

  constructor(
    private readonly entries: ContextRepository,
    private readonly ledgers: LedgerStateRepository,
    private readonly sessions: SessionsService,
    private readonly events: EventBusService,
    private readonly clock: Clock,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  async append(namespace: string, input: AppendEntryInput): Promise<AppendResult> {
    if (!ENTRY_TYPES.includes(input.type)) {
      throw new ContextError(ContextErrorCode.InvalidArgument, `type "${echo(input.type)}" is not an entry type; use one of: ${ENTRY_TYPES.join(', ')}.`);
    }
    if (input.content.length === 0) {
      throw new ContextError(ContextErrorCode.InvalidArgument, 'content is empty; an entry must say something.');
    }
    const metadata = input.metadata ?? {};
    const refs = readRefs(metadata);
    const size = entryBytes(input.content, input.metadata);
    const limit = this.config.limits.maxEntryBytes;
    if (size > limit) {
      throw new ContextError(ContextErrorCode.EntryTooLarge, `The entry is ${size} bytes (content plus metadata) and the limit is ${limit} bytes. Split it into several entries, or store a summary and point at the full text (a file path or URL).`, { size, limit });
    }
    const contentHash = createHash('sha256').update(input.content).digest('hex');

    if (input.idempotencyKey !== undefined) {
      const original = await this.entries.findByIdempotencyKey(namespace, input.sessionKey, input.idempotencyKey);
      if (original) return this.replay(namespace, input, original, contentHash);
    }

    const entry: NewEntry = {
      namespace,
      sessionKey: input.sessionKey,
      type: input.type,
      content: input.content,
      metadata,
      tokenCount: await countTextTokensAsync(input.content),
      contentHash,
      idempotencyKey: input.idempotencyKey ?? null,
      agentId: input.agentId ?? null,
      highestRef: refs.length > 0 ? Math.max(...refs) : 0,
      at: this.clock.now(),
    };
    const appended = await this.entries.appendUnlessDuplicate(entry);
    if (appended === 'duplicate') {
      const original = await this.entries.findByIdempotencyKey(namespace, input.sessionKey, input.idempotencyKey as string);
      if (original) return this.replay(namespace, input, original, contentHash);
    }
    if (appended === null || appended === 'duplicate') throw await this.explainRejectedAppend(namespace, input.sessionKey, entry.highestRef, entry.agentId);

    this.metrics.appends.add(1, { 'baton.entry.type': input.type });
    // A checkpoint stores whatever it applied.
    if (appended.sequence % LEDGER_CHECKPOINT_EVERY === 0) {
      void this.ledgerState(appended.sessionId, 1).catch((error: unknown) => this.logger.warn({ sessionKey: input.sessionKey, err: (error as Error).message }, 'could not bring the ledger state up to date'));
    }
    const subject = { sessionKey: input.sessionKey, sequence: String(appended.sequence) };
    this.events.publish({ namespace, type: CONTEXT_EVENTS.appended, subject, audience: 'subscriptions' });
    if (appended.reactivated) this.events.publish({ namespace, type: SESSION_EVENTS.statusChanged, subject: { sessionKey: input.sessionKey, status: 'active' } });
    return { sessionKey: input.sessionKey, sequence: appended.sequence, entryId: appended.entryId, tokenCount: entry.tokenCount, sessionStatus: 'active', duplicate: false };
  }

  async page(namespace: string, query: ContextQuery): Promise<ContextPage> {
    const session = await this.sessions.getReadable(namespace, query.sessionKey);
    const limit = this.sessions.pageSize(query.limit);
    const after = query.afterSequence ?? 0;
    if (!Number.isInteger(after) || after < 0) {
      throw new ContextError(ContextErrorCode.InvalidArgument, `afterSequence ${after} is not valid: use 0 (the start) or the nextAfterSequence of a previous page.`);
    }
    for (const type of query.types ?? []) {
      if (!ENTRY_TYPES.includes(type)) throw new ContextError(ContextErrorCode.InvalidArgument, `types contains "${echo(type)}", which is not an entry type; use any of: ${ENTRY_TYPES.join(', ')}.`);
    }
    const maxBytes = this.config.limits.maxPageBytes;
    const rows = await this.entries.listAfter(session.id, after, limit + 1, query.types, maxBytes);
    const entries = withinBytes(rows.slice(0, limit), maxBytes);
    return { sessionKey: session.sessionKey, entries, nextAfterSequence: rows.length > entries.length ? (entries.at(-1)?.sequence ?? null) : null };
  }

  // The ledger's state through its last entry: the stored state plus the
  // entries appended since (all of them when none is stored), stored again
  // when none was stored or at least `storeAfter` entries were applied.
  // Costs what is current plus the entries since the last checkpoint, not
  // the length of the session.
  async ledgerState(sessionId: string, storeAfter = LEDGER_STORE_AFTER): Promise<LedgerState> {
    const stored = await this.ledgers.find(sessionId);
    const decoded = stored ? decodeLedgerState(stored.state) : null;
    const state = decoded ?? emptyLedgerState();
    const since = await this.entries.outline(sessionId, decoded ? (stored?.throughSequence ?? 0) : 0);
    for (const entry of since) applyEntry(state, entry);
    if (since.length > 0 && (decoded === null || since.length >= storeAfter)) await this.ledgers.save(sessionId, encodeLedgerState(state));
    return state;
  }

  // Rebuilds the stored state of sessions that have none (written before
  // states were stored) or one of an older version; returns how many.
  async backfillLedgerStates(batch: number): Promise<number> {
    let rebuilt = 0;
    for (let ids = await this.ledgers.withoutCurrentState(LEDGER_STATE_VERSION, batch); ids.length > 0; ids = await this.ledgers.withoutCurrentState(LEDGER_STATE_VERSION, batch)) {
      for (const id of ids) await this.ledgerState(id);
      rebuilt += ids.length;
      if (ids.length < batch) break;
    }
    return rebuilt;
  }

  // Some entries without contents, in order.
  async outlineOf(sessionId: string, sequences: number[]): Promise<EntryOutline[]> {
    return this.entries.outlineOf(sessionId, sequences);
  }

  // Contents of some entries, each cut to at most maxChars characters.
  async contents(sessionId: string, sequences: number[], maxChars: number): Promise<Map<number, string>> {
    return this.entries.contents(sessionId, sequences, maxChars);
  }

  // Moves the session's entries to compressed cold storage with a summary of
  // the ledger, if `due` agrees on the locked session; reads keep working
  // through page(). Null when it was not due (or already done).
  async archiveSession(sessionId: string, at: Date, due: (session: ArchivableSession) => boolean): Promise<ArchiveOutcome | null> {
    return this.entries.archive(sessionId, at, due, planArchive);
  }

  // A retry with a known idempotency key returns the original entry, provided
  // it is the same entry; reusing a key for different content is a mistake
  // the caller must hear about.
  private async replay(namespace: string, input: AppendEntryInput, original: EntryRecord, contentHash: string): Promise<AppendResult> {
    if (original.contentHash !== contentHash || original.type !== input.type) {
      throw new ContextError(ContextErrorCode.InvalidArgument, `idempotencyKey "${input.idempotencyKey}" was already used for entry ${original.sequence} with a different type or content. Use a new key for a new entry.`, { sequence: original.sequence });
    }
    const session = await this.sessions.get(namespace, input.sessionKey);
    return { sessionKey: input.sessionKey, sequence: original.sequence, entryId: original.id, tokenCount: original.tokenCount, sessionStatus: session.status, duplicate: true };
  }

  private async explainRejectedAppend(namespace: string, sessionKey: string, highestRef: number, agentId: string | null): Promise<Error> {
    const session = await this.sessions.findByKey(namespace, sessionKey);
    const unwritable = this.sessions.explainUnwritable(session, sessionKey, agentId);
    if (unwritable) return unwritable;
    return new ContextError(ContextErrorCode.InvalidArgument, `metadata.refs names sequence ${highestRef}, but the session's last entry is ${session?.lastSequence ?? 0}; refs may only point at earlier entries.`);
  }
}

async function planArchive(live: EntryRecord[], archived: EntryRecord[]): Promise<ArchivePlan> {
  const inArchive = new Set(archived.map((entry) => entry.sequence));
  const duplicates = live.filter((entry) => inArchive.has(entry.sequence));
  const ledger = [...archived, ...live.filter((entry) => !inArchive.has(entry.sequence))].sort((a, b) => a.sequence - b.sequence);
  return { chunks: await packEntries(ledger), summary: summarizeLedger(ledger), duplicates };
}

function readRefs(metadata: Record<string, unknown>): number[] {
  const refs = metadata.refs;
  if (refs === undefined) return [];
  if (!Array.isArray(refs) || !refs.every((r) => Number.isInteger(r) && (r as number) >= 1 && (r as number) <= INT4_MAX)) {
    throw new ContextError(ContextErrorCode.InvalidArgument, `metadata.refs must be a list of earlier entry sequences (whole numbers from 1 to ${INT4_MAX}), e.g. {"refs": [12]}.`);
  }
  return refs as number[];
}

// What an entry weighs against BATON_MAX_ENTRY_BYTES and BATON_MAX_PAGE_BYTES.
function entryBytes(content: string, metadata: Record<string, unknown> | undefined): number {
  return Buffer.byteLength(content, 'utf8') + (metadata ? Buffer.byteLength(JSON.stringify(metadata), 'utf8') : 0);
}

// The leading entries whose sizes add up to at most `maxBytes`, and never
// fewer than one: a page of a session with huge entries still moves on.
function withinBytes(entries: EntryRecord[], maxBytes: number): EntryRecord[] {
  let total = 0;
  let count = 0;
  for (const entry of entries) {
    total += entryBytes(entry.content, entry.metadata);
    if (count > 0 && total > maxBytes) break;
    count++;
  }
  return entries.slice(0, count);
}
