import type { SessionStatus } from 'src/features/sessions/sessions.types.js';

// A coding ledger, not a chat log. A later entry can close a todo, resolve an
// error or supersede a decision by naming its sequence in metadata.refs.
// analyze_codebase writes `analysis` entries that point at the stored analysis.
export const ENTRY_TYPES = ['message', 'decision', 'todo', 'code_change', 'file', 'tool_call', 'command', 'error', 'note', 'system', 'analysis'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export interface EntryRecord {
  id: string;
  sequence: number;
  type: EntryType;
  content: string;
  metadata: Record<string, unknown>;
  tokenCount: number;
  contentHash: string;
  idempotencyKey: string | null;
  createdAt: Date;
}

export interface AppendEntryInput {
  sessionKey: string;
  // The appending agent, when it says who it is: an agent that handed the
  // session off with a full handoff may no longer append.
  agentId?: string;
  type: EntryType;
  content: string;
  metadata?: Record<string, unknown>;
  idempotencyKey?: string;
}

// What the repository writes: the entry plus everything derived from it.
export interface NewEntry {
  namespace: string;
  sessionKey: string;
  type: EntryType;
  content: string;
  metadata: Record<string, unknown>;
  tokenCount: number;
  contentHash: string;
  idempotencyKey: string | null;
  agentId: string | null;
  highestRef: number;
  at: Date;
}

export interface AppendedEntry {
  entryId: string;
  sessionId: string;
  sequence: number;
  reactivated: boolean;
}

export interface AppendResult {
  sessionKey: string;
  sequence: number;
  entryId: string;
  tokenCount: number;
  sessionStatus: SessionStatus;
  duplicate: boolean;
}

export interface ContextQuery {
  sessionKey: string;
  afterSequence?: number;
  limit?: number;
  types?: EntryType[];
}

export interface ContextPage {
  sessionKey: string;
  entries: EntryRecord[];
  nextAfterSequence: number | null;
}

// An entry without its content: what a reader needs to work out the
// ledger's state before deciding which contents to load.
export interface EntryOutline {
  sequence: number;
  type: EntryType;
  metadata: Record<string, unknown>;
  tokenCount: number;
  createdAt: Date;
}

// Consecutive entries of an archived session, compressed together.
export interface ArchiveChunk {
  firstSequence: number;
  lastSequence: number;
  entryCount: number;
  types: EntryType[];
  rawBytes: number;
  payload: Uint8Array;
}

// What the ledger said when the session was archived, so readers need not
// decompress it to know where the work stood.
export interface LedgerSummary {
  entryCount: number;
  tokenCount: number;
  firstEntryAt: string | null;
  lastEntryAt: string | null;
  countsByType: Partial<Record<EntryType, number>>;
  openTodos: SummaryItem[];
  decisions: SummaryItem[];
  unresolvedErrors: SummaryItem[];
  files: string[];
}

export interface SummaryItem {
  sequence: number;
  content: string;
}

// The session as the archiver sees it, under its row lock.
export interface ArchivableSession {
  id: string;
  namespace: string;
  sessionKey: string;
  status: SessionStatus;
  expiresAt: Date;
  tags: string[];
  liveEntries: number;
}

export interface ArchivePlan {
  chunks: ArchiveChunk[];
  summary: LedgerSummary;
  // Live entries whose sequence the archive already holds; quarantined.
  duplicates: EntryRecord[];
}

export interface ArchiveOutcome {
  namespace: string;
  sessionKey: string;
  previousStatus: SessionStatus;
  entryCount: number;
  rawBytes: number;
  storedBytes: number;
  duplicates: number;
}

// What the ledger reducer reads of an entry: everything but its content.
export interface LedgerEntry {
  sequence: number;
  type: string;
  metadata: Record<string, unknown>;
  tokenCount: number;
  createdAt: Date;
}

export interface TouchedFile {
  path: string;
  // The newest entry that named the file, and how many did.
  lastSequence: number;
  changes: number;
}

// What the ledger means once every ref has been applied, kept small: what is
// current (open todos, decisions in force, unresolved errors with their
// attempts, touched files, goal, status, key messages, the newest changes
// and messages) plus counts. It is updated entry by entry, so a stored copy
// can be brought up to date with the entries appended since.
export interface LedgerState {
  entryCount: number;
  lastSequence: number;
  lastEntry: { type: string; createdAt: Date } | null;
  goalSequence?: number;
  statusSequence?: number;
  openTodos: Set<number>;
  // Decisions in force, each with the decisions it superseded.
  decisions: Map<number, number[]>;
  // Unresolved errors, each with the entries that tried to fix it.
  errors: Map<number, number[]>;
  // In the order they were first touched.
  files: Map<string, TouchedFile>;
  // The newest code changes and messages or notes, oldest first.
  recent: { changes: number[]; messages: number[] };
  // Messages and notes marked pinned (or important): key messages whatever their age.
  pinned: number[];
  // Entries by kind: their type, or for todos, decisions and errors their state
  // ("open todo", "superseded decision", "error resolution", ...).
  kinds: Map<string, number>;
  // Only to apply later refs: decisions no longer in force, and errors no
  // longer unresolved with the error that followed each up (0: none).
  history: { decisions: Set<number>; errors: Map<number, number> };
}
