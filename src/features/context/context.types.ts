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

export type TodoState = 'open' | 'done' | 'cancelled' | 'replaced';
export type DecisionState = 'in_force' | 'superseded';
export type ErrorState = 'unresolved' | 'resolved' | 'followed_up';

export interface TodoItem {
  sequence: number;
  state: TodoState;
  closedBy?: number;
}

export interface DecisionItem {
  sequence: number;
  state: DecisionState;
  supersedes: number[];
  supersededBy?: number;
}

export interface ErrorItem {
  sequence: number;
  state: ErrorState;
  // Entries that pointed at this error without resolving it: what was tried.
  attempts: number[];
  resolvedBy?: number;
  followedUpBy?: number;
}

export interface TouchedFile {
  path: string;
  // Entries that named the file, oldest first.
  sequences: number[];
}

// The state a ledger describes once every ref has been applied.
export interface LedgerState {
  entryCount: number;
  lastSequence: number;
  todos: Map<number, TodoItem>;
  decisions: Map<number, DecisionItem>;
  errors: Map<number, ErrorItem>;
  files: TouchedFile[];
  // Entries recording a change of state (a todo closed, an error resolved):
  // their message is carried by the state itself.
  stateChanges: Set<number>;
  goalSequence?: number;
  statusSequence?: number;
  byType: Map<string, number[]>;
}
