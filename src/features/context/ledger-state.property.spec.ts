import fc from 'fast-check';

import type { LedgerEntry, LedgerState } from 'src/features/context/context.types.js';
import { decodeLedgerState, encodeLedgerState } from 'src/features/context/ledger-state.codec.js';
import { applyEntry, decisionsInForce, emptyLedgerState, openTodos, RECENT_WINDOW, reduceLedger, unresolvedErrors } from 'src/features/context/ledger-state.reducer.js';

// The ledger's rules (README, "Tools") applied to the whole ledger at once,
// written out plainly and independently of the incremental reducer: every
// item keeps its full history, and what is current is read off at the end.
function wholeLedger(entries: readonly LedgerEntry[]) {
  type Todo = { state: string };
  type Decision = { state: string; supersedes: number[] };
  type Failure = { state: string; attempts: number[]; followedUpBy?: number };
  const todos = new Map<number, Todo>();
  const decisions = new Map<number, Decision>();
  const errors = new Map<number, Failure>();
  const changes = new Set<number>();
  const files = new Map<string, { path: string; lastSequence: number; changes: number }>();
  let goal: number | undefined;
  let status: number | undefined;
  const live = (seq: number): number => {
    const next = errors.get(seq)?.followedUpBy;
    return next === undefined ? seq : live(next);
  };
  for (const { sequence, type, metadata } of entries) {
    const refs = (Array.isArray(metadata.refs) ? metadata.refs : []).filter((r): r is number => Number.isInteger(r) && r >= 1 && r < sequence);
    const said = typeof metadata.status === 'string' ? metadata.status.toLowerCase() : undefined;
    if (metadata.kind === 'goal') goal = sequence;
    if (metadata.kind === 'status') status = sequence;
    if (type === 'todo') {
      const closing = said === 'done' || said === 'cancelled';
      const targets = refs.flatMap((r) => todos.get(r) ?? []);
      if (refs.length > 0 && closing) {
        targets.forEach((t) => (t.state = said as string));
        changes.add(sequence);
      } else {
        targets.forEach((t) => (t.state = 'replaced'));
        todos.set(sequence, { state: refs.length === 0 && closing ? (said as string) : 'open' });
      }
    } else if (type === 'decision') {
      const supersedes = refs.filter((r) => decisions.has(r));
      supersedes.forEach((r) => ((decisions.get(r) as Decision).state = 'superseded'));
      decisions.set(sequence, { state: 'in_force', supersedes });
    } else if (type === 'error') {
      const targets = [...new Set(refs.map(live))].flatMap((r) => errors.get(r) ?? []);
      if (refs.length > 0 && said === 'resolved') {
        targets.forEach((t) => (t.state = 'resolved'));
        changes.add(sequence);
      } else {
        const attempts = targets.filter((t) => t.state === 'unresolved').flatMap((t) => t.attempts);
        targets.forEach((t) => Object.assign(t, { state: t.state === 'unresolved' ? 'followed_up' : t.state, followedUpBy: sequence }));
        errors.set(sequence, { state: refs.length === 0 && said === 'resolved' ? 'resolved' : 'unresolved', attempts: [...new Set(attempts)].sort((a, b) => a - b) });
      }
    } else {
      for (const r of new Set(refs.map(live))) errors.get(r)?.attempts.push(sequence);
    }
    if (type === 'code_change' || type === 'file') {
      const paths = (Array.isArray(metadata.files) ? metadata.files : []).filter((f): f is string => typeof f === 'string').map((f) => f.trim().replace(/^\.\//, '')).filter(Boolean);
      for (const path of paths) {
        const file = files.get(path) ?? { path, lastSequence: 0, changes: 0 };
        files.set(path, { path, lastSequence: sequence, changes: file.changes + 1 });
      }
    }
  }
  const kindOf = ({ sequence, type }: LedgerEntry): string => {
    if (type === 'todo') return changes.has(sequence) ? 'todo update' : todos.get(sequence)?.state === 'open' ? 'open todo' : 'closed todo';
    if (type === 'decision') return decisions.get(sequence)?.state === 'in_force' ? 'decision in force' : 'superseded decision';
    if (type === 'error') return changes.has(sequence) ? 'error resolution' : errors.get(sequence)?.state === 'unresolved' ? 'unresolved error' : 'resolved error';
    return type;
  };
  const kinds: Record<string, number> = {};
  for (const entry of entries) kinds[kindOf(entry)] = (kinds[kindOf(entry)] ?? 0) + 1;
  const ofTypes = (...types: string[]) => entries.filter((e) => types.includes(e.type)).map((e) => e.sequence);
  const last = entries.at(-1);
  return {
    entryCount: entries.length,
    lastSequence: last?.sequence ?? 0,
    lastEntry: last ? { type: last.type, createdAt: last.createdAt } : null,
    goal,
    status,
    openTodos: [...todos].filter(([, t]) => t.state === 'open').map(([seq]) => seq),
    decisions: [...decisions].filter(([, d]) => d.state === 'in_force').map(([seq, d]) => [seq, d.supersedes]),
    errors: [...errors].filter(([, e]) => e.state === 'unresolved').map(([seq, e]) => [seq, e.attempts]),
    files: [...files.values()],
    recentChanges: ofTypes('code_change').slice(-RECENT_WINDOW),
    recentMessages: ofTypes('message', 'note').slice(-RECENT_WINDOW),
    pinned: entries.filter((e) => (e.type === 'message' || e.type === 'note') && (e.metadata.pinned === true || e.metadata.important === true)).map((e) => e.sequence),
    kinds,
  };
}

// What a package reads of a state, in the oracle's shape.
function current(state: LedgerState) {
  return {
    entryCount: state.entryCount,
    lastSequence: state.lastSequence,
    lastEntry: state.lastEntry,
    goal: state.goalSequence,
    status: state.statusSequence,
    openTodos: openTodos(state),
    decisions: decisionsInForce(state).map((seq) => [seq, state.decisions.get(seq)]),
    errors: unresolvedErrors(state).map((seq) => [seq, state.errors.get(seq)]),
    files: [...state.files.values()],
    recentChanges: state.recent.changes,
    recentMessages: state.recent.messages,
    pinned: state.pinned,
    kinds: Object.fromEntries(state.kinds),
  };
}

const TYPES = ['todo', 'todo', 'decision', 'error', 'error', 'command', 'code_change', 'file', 'message', 'note', 'analysis'];
const STATUSES = [undefined, 'done', 'Cancelled', 'open', 'resolved', 'still failing', 'failed'];

// A random ledger: mostly backward refs (some forward, some junk), statuses
// that close, resolve or do nothing, goals, pinned notes, touched files.
const ledgerArbitrary = fc
  .array(
    fc.record({
      type: fc.constantFrom(...TYPES),
      refs: fc.array(fc.oneof({ weight: 8, arbitrary: fc.nat({ max: 400 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 'x', 1.5) }), { maxLength: 3 }),
      back: fc.boolean(),
      status: fc.constantFrom(...STATUSES),
      kind: fc.constantFrom(undefined, undefined, undefined, 'goal', 'status'),
      pinned: fc.boolean(),
      files: fc.array(fc.constantFrom('src/a.ts', './src/b.ts', 'docs/c.md', ' ', 'src/d.ts'), { maxLength: 2 }),
    }),
    { maxLength: 300 },
  )
  .map((raw) =>
    raw.map((r, i): LedgerEntry => {
      const sequence = i + 1;
      // Refs mostly point a short way back, where the items they name live.
      const refs = r.refs.map((ref) => (typeof ref === 'number' && r.back ? Math.max(1, sequence - 1 - (ref % 12)) : ref));
      const metadata: Record<string, unknown> = { refs, files: r.files };
      if (r.status !== undefined) metadata.status = r.status;
      if (r.kind !== undefined) metadata.kind = r.kind;
      if (r.pinned) metadata.pinned = true;
      return { sequence, type: r.type, metadata, tokenCount: 3, createdAt: new Date(Date.UTC(2026, 10, 1) + sequence * 1000) };
    }),
  );

describe('the incremental ledger state', () => {
  it('equals the rules applied to the whole ledger, after any sequence of appends', () => {
    fc.assert(
      fc.property(ledgerArbitrary, (entries) => {
        expect(current(reduceLedger(entries))).toEqual(wholeLedger(entries));
      }),
      { numRuns: 300 },
    );
  });

  it('is the same when stored and brought up to date at any points along the way', () => {
    fc.assert(
      fc.property(ledgerArbitrary, fc.array(fc.nat({ max: 300 }), { maxLength: 6 }), (entries, cuts) => {
        let state = emptyLedgerState();
        const stops = new Set(cuts);
        for (const entry of entries) {
          applyEntry(state, entry);
          // A stored state goes through JSON, as in the database.
          if (stops.has(entry.sequence)) state = decodeLedgerState(JSON.parse(JSON.stringify(encodeLedgerState(state)))) as LedgerState;
        }
        expect(state).toEqual(reduceLedger(entries));
        expect(current(state)).toEqual(wholeLedger(entries));
      }),
      { numRuns: 300 },
    );
  });
});
