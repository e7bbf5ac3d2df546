import type { LedgerEntry, LedgerState } from 'src/features/context/context.types.js';

// How many of the newest code changes and of the newest messages or notes
// the state keeps: more than a package ever shows (the goal and status
// entries among them are shown apart).
export const RECENT_WINDOW = 48;

// The ledger's meaning, defined once. Entries are applied in sequence order;
// metadata.refs names earlier entries an entry acts on:
// - todo without refs opens a todo (or records one already done/cancelled,
//   from its metadata.status). With refs and status "done" or "cancelled" it
//   closes the todos it names; with refs and any other status it replaces
//   them with itself (reworded or reopened), and is then the open one.
// - decision with refs supersedes the decisions it names; it is in force
//   until a later decision names it.
// - error without refs is unresolved. With refs and status "resolved" it
//   resolves the errors it names; with refs and any other status it is a
//   follow-up: the errors it names live on in it, with their attempts.
// - any other entry that names an error is an attempt at it (what was tried).
// - code_change and file entries touch the paths in metadata.files.
// - metadata.kind "goal" or "status" marks the session's goal and its latest
//   status note, whatever the entry type; metadata.pinned (or important) on a
//   message or note makes it a key message.
// Refs to entries of another type than the rule expects, or to unknown
// sequences, are ignored; unknown entry types are kept and counted.
export function reduceLedger(entries: readonly LedgerEntry[]): LedgerState {
  const state = emptyLedgerState();
  for (const entry of [...entries].sort((a, b) => a.sequence - b.sequence)) applyEntry(state, entry);
  return state;
}

export function emptyLedgerState(): LedgerState {
  return {
    entryCount: 0,
    lastSequence: 0,
    lastEntry: null,
    openTodos: new Set(),
    decisions: new Map(),
    errors: new Map(),
    files: new Map(),
    recent: { changes: [], messages: [] },
    pinned: [],
    kinds: new Map(),
    history: { decisions: new Set(), errors: new Map() },
  };
}

// Applies the next entry (its sequence above every one applied so far) in place.
export function applyEntry(state: LedgerState, entry: LedgerEntry): void {
  const { sequence, type, metadata } = entry;
  state.entryCount++;
  state.lastSequence = sequence;
  state.lastEntry = { type, createdAt: entry.createdAt };

  const refs = readRefs(metadata).filter((r) => r < sequence);
  const status = typeof metadata.status === 'string' ? metadata.status.toLowerCase() : undefined;
  if (metadata.kind === 'goal') state.goalSequence = sequence;
  if (metadata.kind === 'status') state.statusSequence = sequence;

  if (type === 'todo') applyTodo(state, sequence, refs, status);
  else if (type === 'decision') applyDecision(state, sequence, refs);
  else if (type === 'error') applyError(state, sequence, refs, status);
  else {
    count(state, type, 1);
    for (const ref of new Set(refs.map((r) => liveError(state, r)))) state.errors.get(ref)?.push(sequence);
  }

  if (type === 'code_change' || type === 'file') {
    for (const path of readFiles(metadata)) {
      const file = state.files.get(path);
      if (file) Object.assign(file, { lastSequence: sequence, changes: file.changes + 1 });
      else state.files.set(path, { path, lastSequence: sequence, changes: 1 });
    }
  }
  if (type === 'code_change') keepRecent(state.recent.changes, sequence);
  if (type === 'message' || type === 'note') {
    keepRecent(state.recent.messages, sequence);
    if (metadata.pinned === true || metadata.important === true) state.pinned.push(sequence);
  }
}

const CLOSING = new Set(['done', 'cancelled']);

function applyTodo(state: LedgerState, sequence: number, refs: number[], status: string | undefined): void {
  const closing = status !== undefined && CLOSING.has(status);
  // Closing or replacing a todo that is already closed changes nothing shown.
  for (const ref of new Set(refs)) {
    if (!state.openTodos.delete(ref)) continue;
    count(state, 'open todo', -1);
    count(state, 'closed todo', 1);
  }
  if (refs.length > 0 && closing) {
    count(state, 'todo update', 1);
    return;
  }
  if (refs.length === 0 && closing) {
    count(state, 'closed todo', 1);
    return;
  }
  state.openTodos.add(sequence);
  count(state, 'open todo', 1);
}

function applyDecision(state: LedgerState, sequence: number, refs: number[]): void {
  const supersedes: number[] = [];
  for (const ref of refs) {
    if (state.decisions.delete(ref)) {
      state.history.decisions.add(ref);
      count(state, 'decision in force', -1);
      count(state, 'superseded decision', 1);
    } else if (!state.history.decisions.has(ref)) continue;
    supersedes.push(ref);
  }
  state.decisions.set(sequence, supersedes);
  count(state, 'decision in force', 1);
}

function applyError(state: LedgerState, sequence: number, refs: number[], status: string | undefined): void {
  // An error that was followed up lives on in its follow-up: acting on it
  // acts on the latest one.
  const targets = [...new Set(refs.map((r) => liveError(state, r)))].filter((r) => state.errors.has(r) || state.history.errors.has(r));
  const resolving = status === 'resolved';
  const attempts: number[] = [];
  for (const target of targets) {
    const open = state.errors.get(target);
    if (open) {
      if (!resolving) attempts.push(...open);
      state.errors.delete(target);
      count(state, 'unresolved error', -1);
      count(state, 'resolved error', 1);
    }
    state.history.errors.set(target, resolving ? (state.history.errors.get(target) ?? 0) : sequence);
  }
  if (refs.length > 0 && resolving) {
    count(state, 'error resolution', 1);
    return;
  }
  if (resolving) {
    state.history.errors.set(sequence, 0);
    count(state, 'resolved error', 1);
    return;
  }
  state.errors.set(sequence, [...new Set(attempts)].sort((a, b) => a - b));
  count(state, 'unresolved error', 1);
}

function liveError(state: LedgerState, sequence: number): number {
  let current = sequence;
  for (let next = state.history.errors.get(current); next !== undefined && next !== 0; next = state.history.errors.get(current)) current = next;
  return current;
}

function count(state: LedgerState, kind: string, delta: number): void {
  const next = (state.kinds.get(kind) ?? 0) + delta;
  if (next === 0) state.kinds.delete(kind);
  else state.kinds.set(kind, next);
}

function keepRecent(list: number[], sequence: number): void {
  list.push(sequence);
  if (list.length > RECENT_WINDOW) list.shift();
}

function readRefs(metadata: Record<string, unknown>): number[] {
  const refs = metadata.refs;
  return Array.isArray(refs) ? refs.filter((r): r is number => Number.isInteger(r) && (r as number) >= 1) : [];
}

function readFiles(metadata: Record<string, unknown>): string[] {
  const files = metadata.files;
  if (!Array.isArray(files)) return [];
  return files
    .filter((f): f is string => typeof f === 'string')
    .map((f) => f.trim().replace(/^\.\//, ''))
    .filter((f) => f.length > 0);
}

export function openTodos(state: LedgerState): number[] {
  return [...state.openTodos].sort((a, b) => a - b);
}

export function decisionsInForce(state: LedgerState): number[] {
  return [...state.decisions.keys()].sort((a, b) => a - b);
}

export function unresolvedErrors(state: LedgerState): number[] {
  return [...state.errors.keys()].sort((a, b) => a - b);
}

// What an entry is now, as the state counts it in `kinds`: its type, or for
// todos, decisions and errors their state. Whether an entry records a change
// of state (a todo closed, an error resolved) follows from the entry alone.
export function entryKind(state: LedgerState, entry: LedgerEntry): string {
  const { sequence, type, metadata } = entry;
  const changesState = readRefs(metadata).some((r) => r < sequence);
  const status = typeof metadata.status === 'string' ? metadata.status.toLowerCase() : undefined;
  if (type === 'todo') return changesState && status !== undefined && CLOSING.has(status) ? 'todo update' : state.openTodos.has(sequence) ? 'open todo' : 'closed todo';
  if (type === 'decision') return state.decisions.has(sequence) ? 'decision in force' : 'superseded decision';
  if (type === 'error') return changesState && status === 'resolved' ? 'error resolution' : state.errors.has(sequence) ? 'unresolved error' : 'resolved error';
  return type;
}
