import type { DecisionItem, ErrorItem, LedgerEntry, LedgerState, TodoItem, TouchedFile } from 'src/features/context/context.types.js';

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
//   status note, whatever the entry type.
// Refs to entries of another type than the rule expects, or to unknown
// sequences, are ignored; unknown entry types are kept and counted.
export function reduceLedger(entries: readonly LedgerEntry[]): LedgerState {
  const state: LedgerState = {
    entryCount: 0,
    lastSequence: 0,
    todos: new Map<number, TodoItem>(),
    decisions: new Map<number, DecisionItem>(),
    errors: new Map<number, ErrorItem>(),
    files: [],
    stateChanges: new Set<number>(),
    byType: new Map<string, number[]>(),
  };
  const files = new Map<string, TouchedFile>();
  const ordered = [...entries].sort((a, b) => a.sequence - b.sequence);

  for (const entry of ordered) {
    const { sequence, type, metadata } = entry;
    state.entryCount++;
    state.lastSequence = sequence;
    const sequences = state.byType.get(type) ?? [];
    sequences.push(sequence);
    state.byType.set(type, sequences);

    const refs = readRefs(metadata).filter((r) => r < sequence);
    const status = typeof metadata.status === 'string' ? metadata.status.toLowerCase() : undefined;
    if (metadata.kind === 'goal') state.goalSequence = sequence;
    if (metadata.kind === 'status') state.statusSequence = sequence;

    if (type === 'todo') applyTodo(state, sequence, refs, status);
    else if (type === 'decision') applyDecision(state, sequence, refs);
    else if (type === 'error') applyError(state, sequence, refs, status);
    else {
      for (const ref of new Set(refs.map((r) => liveError(state, r)))) state.errors.get(ref)?.attempts.push(sequence);
    }

    if (type === 'code_change' || type === 'file') {
      for (const path of readFiles(metadata)) {
        const file = files.get(path) ?? { path, sequences: [] };
        file.sequences.push(sequence);
        files.set(path, file);
      }
    }
  }
  state.files = [...files.values()];
  return state;
}

const CLOSING = new Set(['done', 'cancelled']);

function applyTodo(state: LedgerState, sequence: number, refs: number[], status: string | undefined): void {
  const targets = refs.map((r) => state.todos.get(r)).filter((t): t is TodoItem => t !== undefined);
  if (refs.length > 0 && status !== undefined && CLOSING.has(status)) {
    for (const todo of targets) Object.assign(todo, { state: status, closedBy: sequence });
    state.stateChanges.add(sequence);
    return;
  }
  for (const todo of targets) Object.assign(todo, { state: 'replaced', closedBy: sequence });
  state.todos.set(sequence, { sequence, state: refs.length === 0 && status !== undefined && CLOSING.has(status) ? (status as 'done' | 'cancelled') : 'open' });
}

function applyDecision(state: LedgerState, sequence: number, refs: number[]): void {
  const supersedes: number[] = [];
  for (const ref of refs) {
    const decision = state.decisions.get(ref);
    if (!decision) continue;
    Object.assign(decision, { state: 'superseded', supersededBy: sequence });
    supersedes.push(ref);
  }
  state.decisions.set(sequence, { sequence, state: 'in_force', supersedes });
}

function applyError(state: LedgerState, sequence: number, refs: number[], status: string | undefined): void {
  // An error that was followed up lives on in its follow-up: acting on it
  // acts on the latest one.
  const targets = [...new Set(refs.map((r) => liveError(state, r)))].map((r) => state.errors.get(r)).filter((e): e is ErrorItem => e !== undefined);
  if (refs.length > 0 && status === 'resolved') {
    for (const error of targets) Object.assign(error, { state: 'resolved', resolvedBy: sequence });
    state.stateChanges.add(sequence);
    return;
  }
  const attempts: number[] = [];
  for (const error of targets) {
    if (error.state === 'unresolved') attempts.push(...error.attempts);
    Object.assign(error, { state: error.state === 'unresolved' ? 'followed_up' : error.state, followedUpBy: sequence });
  }
  state.errors.set(sequence, { sequence, state: refs.length === 0 && status === 'resolved' ? 'resolved' : 'unresolved', attempts: [...new Set(attempts)].sort((a, b) => a - b) });
}

function liveError(state: LedgerState, sequence: number): number {
  let current = sequence;
  for (let next = state.errors.get(current)?.followedUpBy; next !== undefined; next = state.errors.get(current)?.followedUpBy) current = next;
  return current;
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
  return [...state.todos.values()].filter((t) => t.state === 'open').map((t) => t.sequence);
}

export function decisionsInForce(state: LedgerState): number[] {
  return [...state.decisions.values()].filter((d) => d.state === 'in_force').map((d) => d.sequence);
}

export function unresolvedErrors(state: LedgerState): number[] {
  return [...state.errors.values()].filter((e) => e.state === 'unresolved').map((e) => e.sequence);
}
