import type { LedgerEntry } from 'src/features/context/context.types.js';
import { decisionsInForce, openTodos, reduceLedger, unresolvedErrors } from 'src/features/context/ledger-state.reducer.js';

let next = 0;
function ledger(...entries: [string, Record<string, unknown>?][]): LedgerEntry[] {
  next = 0;
  return entries.map(([type, metadata]) => ({ sequence: ++next, type, metadata: metadata ?? {}, tokenCount: 5, createdAt: new Date(Date.UTC(2026, 10, 20, 10, next)) }));
}

describe('reduceLedger', () => {
  it('closes todos named by a done or cancelled todo, and that closing entry is no todo of its own', () => {
    const state = reduceLedger(ledger(['todo'], ['todo'], ['todo'], ['todo', { refs: [1], status: 'done' }], ['todo', { refs: [2], status: 'Cancelled' }]));
    expect(openTodos(state)).toEqual([3]);
    expect(Object.fromEntries(state.kinds)).toEqual({ 'open todo': 1, 'closed todo': 2, 'todo update': 2 });
  });

  it('replaces a todo named by a todo with another status, which becomes the open one (rewording, reopening)', () => {
    const state = reduceLedger(ledger(['todo'], ['todo', { refs: [1], status: 'done' }], ['todo', { refs: [1], status: 'open' }], ['todo', { refs: [3] }]));
    expect(openTodos(state)).toEqual([4]);
    expect(Object.fromEntries(state.kinds)).toEqual({ 'open todo': 1, 'closed todo': 2, 'todo update': 1 });
  });

  it('records a todo logged already done without opening it', () => {
    expect(openTodos(reduceLedger(ledger(['todo', { status: 'done' }], ['todo'])))).toEqual([2]);
  });

  it('supersedes decisions named by a later decision, down a chain of changes of mind', () => {
    const state = reduceLedger(ledger(['decision'], ['decision'], ['decision', { refs: [1] }], ['decision', { refs: [3] }]));
    expect(decisionsInForce(state)).toEqual([2, 4]);
    expect(state.decisions.get(4)).toEqual([3]);
    expect([...state.history.decisions]).toEqual([1, 3]);
    const again = reduceLedger(ledger(['decision'], ['decision', { refs: [1] }], ['decision', { refs: [1] }]));
    expect(again.decisions.get(3)).toEqual([1]);
  });

  it('ignores refs to entries of another type than the rule acts on', () => {
    const state = reduceLedger(ledger(['todo'], ['note'], ['decision', { refs: [1, 2] }], ['todo', { refs: [3], status: 'done' }]));
    expect(openTodos(state)).toEqual([1]);
    expect(decisionsInForce(state)).toEqual([3]);
    expect(state.decisions.get(3)).toEqual([]);
  });

  it('resolves errors named by a resolved error, and keeps attempts on the ones still open', () => {
    const state = reduceLedger(
      ledger(['error'], ['command', { refs: [1], status: 'failed' }], ['error'], ['code_change', { refs: [3], files: ['src/a.ts'] }], ['error', { refs: [1], status: 'resolved' }]),
    );
    expect(unresolvedErrors(state)).toEqual([3]);
    expect(state.errors.get(3)).toEqual([4]);
    expect(Object.fromEntries(state.kinds)).toMatchObject({ 'resolved error': 1, 'unresolved error': 1, 'error resolution': 1 });
  });

  it('carries attempts into a follow-up error, and routes later acts on the old error to the follow-up', () => {
    const state = reduceLedger(
      ledger(['error'], ['command', { refs: [1] }], ['error', { refs: [1], status: 'still failing' }], ['note', { refs: [1] }], ['command', { refs: [3] }]),
    );
    expect(unresolvedErrors(state)).toEqual([3]);
    expect(state.history.errors.get(1)).toBe(3);
    expect(state.errors.get(3)).toEqual([2, 4, 5]);
    const resolved = reduceLedger(ledger(['error'], ['error', { refs: [1] }], ['error', { refs: [1], status: 'resolved' }]));
    expect(unresolvedErrors(resolved)).toEqual([]);
  });

  it('collects files touched by code changes and file entries, oldest first, without duplicates', () => {
    const state = reduceLedger(
      ledger(['code_change', { files: ['./src/a.ts', 'src/b.ts'] }], ['file', { files: ['docs/x.md'] }], ['code_change', { files: ['src/a.ts', 42, ''] }], ['note', { files: ['ignored.ts'] }]),
    );
    expect([...state.files.values()]).toEqual([
      { path: 'src/a.ts', lastSequence: 3, changes: 2 },
      { path: 'src/b.ts', lastSequence: 1, changes: 1 },
      { path: 'docs/x.md', lastSequence: 2, changes: 1 },
    ]);
  });

  it('finds the latest goal and status notes and counts unknown types without failing', () => {
    const state = reduceLedger(ledger(['message', { kind: 'goal' }], ['analysis'], ['note', { kind: 'status' }], ['note', { kind: 'goal' }], ['note', { kind: 'status' }], ['mystery', { refs: 'nonsense' }]));
    expect(state.goalSequence).toBe(4);
    expect(state.statusSequence).toBe(5);
    expect(state.kinds.get('analysis')).toBe(1);
    expect(state.kinds.get('mystery')).toBe(1);
    expect(state.entryCount).toBe(6);
    expect(state.lastSequence).toBe(6);
  });

  it('ignores refs that point forward or are not sequences', () => {
    const state = reduceLedger(ledger(['todo'], ['todo', { refs: [3, 'x', -1], status: 'done' }], ['todo']));
    expect(openTodos(state)).toEqual([1, 3]);
  });
});
