import type { LedgerState } from 'src/features/context/context.types.js';

// The stored form of a ledger state: plain JSON, maps as pairs. Bump the
// version when the shape or the meaning of the state changes; a stored state
// of another version is rebuilt from the entries.
export const LEDGER_STATE_VERSION = 1;

export interface StoredLedgerState {
  version: number;
  entryCount: number;
  lastSequence: number;
  lastEntry: [string, number] | null;
  goalSequence: number | null;
  statusSequence: number | null;
  openTodos: number[];
  decisions: [number, number[]][];
  errors: [number, number[]][];
  files: [string, number, number][];
  recentChanges: number[];
  recentMessages: number[];
  pinned: number[];
  kinds: [string, number][];
  pastDecisions: number[];
  pastErrors: [number, number][];
}

export function encodeLedgerState(state: LedgerState): StoredLedgerState {
  return {
    version: LEDGER_STATE_VERSION,
    entryCount: state.entryCount,
    lastSequence: state.lastSequence,
    lastEntry: state.lastEntry ? [state.lastEntry.type, state.lastEntry.createdAt.getTime()] : null,
    goalSequence: state.goalSequence ?? null,
    statusSequence: state.statusSequence ?? null,
    openTodos: [...state.openTodos],
    decisions: [...state.decisions],
    errors: [...state.errors],
    files: [...state.files.values()].map((f) => [f.path, f.lastSequence, f.changes]),
    recentChanges: state.recent.changes,
    recentMessages: state.recent.messages,
    pinned: state.pinned,
    kinds: [...state.kinds],
    pastDecisions: [...state.history.decisions],
    pastErrors: [...state.history.errors],
  };
}

// Null when the stored value is of another version (or not a state at all):
// the caller rebuilds it from the entries.
export function decodeLedgerState(stored: unknown): LedgerState | null {
  const s = stored as Partial<StoredLedgerState> | null;
  if (!s || typeof s !== 'object' || s.version !== LEDGER_STATE_VERSION) return null;
  const v = s as StoredLedgerState;
  return {
    entryCount: v.entryCount,
    lastSequence: v.lastSequence,
    lastEntry: v.lastEntry ? { type: v.lastEntry[0], createdAt: new Date(v.lastEntry[1]) } : null,
    ...(v.goalSequence !== null ? { goalSequence: v.goalSequence } : {}),
    ...(v.statusSequence !== null ? { statusSequence: v.statusSequence } : {}),
    openTodos: new Set(v.openTodos),
    decisions: new Map(v.decisions),
    errors: new Map(v.errors),
    files: new Map(v.files.map(([path, lastSequence, changes]) => [path, { path, lastSequence, changes }])),
    recent: { changes: v.recentChanges, messages: v.recentMessages },
    pinned: v.pinned,
    kinds: new Map(v.kinds),
    history: { decisions: new Set(v.pastDecisions), errors: new Map(v.pastErrors) },
  };
}
