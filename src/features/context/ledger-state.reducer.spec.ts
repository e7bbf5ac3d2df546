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
    expect(state.todos.get(1)).toMatchObject({ state: 'done', closedBy: 4 });
    expect(state.todos.get(2)).toMatchObject({ state: 'cancelled', closedBy: 5 });
    expect(state.todos.has(4)).toBe(false);
    expect([...state.stateChanges]).toEqual([4, 5]);
  });

  it('replaces a todo named by a todo with another status, which becomes the open one (rewording, reopening)', () => {
    const state = reduceLedger(ledger(['todo'], ['todo', { refs: [1], status: 'done' }], ['todo', { refs: [1], status: 'open' }], ['todo', { refs: [3] }]));
    expect(openTodos(state)).toEqual([4]);
    expect(state.todos.get(3)).toMatchObject({ state: 'replaced', closedBy: 4 });
  });

  it('records a todo logged already done without opening it', () => {
    expect(openTodos(reduceLedger(ledger(['todo', { status: 'done' }], ['todo'])))).toEqual([2]);
  });

  it('supersedes decisions named by a later decision, down a chain of changes of mind', () => {
    const state = reduceLedger(ledger(['decision'], ['decision'], ['decision', { refs: [1] }], ['decision', { refs: [3] }]));
    expect(decisionsInForce(state)).toEqual([2, 4]);
    expect(state.decisions.get(1)).toMatchObject({ state: 'superseded', supersededBy: 3 });
    expect(state.decisions.get(3)).toMatchObject({ state: 'superseded', supersededBy: 4, supersedes: [1] });
    expect(state.decisions.get(4)?.supersedes).toEqual([3]);
  });

  it('ignores refs to entries of another type than the rule acts on', () => {
    const state = reduceLedger(ledger(['todo'], ['note'], ['decision', { refs: [1, 2] }], ['todo', { refs: [3], status: 'done' }]));
    expect(openTodos(state)).toEqual([1]);
    expect(decisionsInForce(state)).toEqual([3]);
    expect(state.decisions.get(3)?.supersedes).toEqual([]);
  });

  it('resolves errors named by a resolved error, and keeps attempts on the ones still open', () => {
    const state = reduceLedger(
      ledger(['error'], ['command', { refs: [1], status: 'failed' }], ['error'], ['code_change', { refs: [3], files: ['src/a.ts'] }], ['error', { refs: [1], status: 'resolved' }]),
    );
    expect(unresolvedErrors(state)).toEqual([3]);
    expect(state.errors.get(1)).toMatchObject({ state: 'resolved', resolvedBy: 5, attempts: [2] });
    expect(state.errors.get(3)?.attempts).toEqual([4]);
    expect(state.errors.has(5)).toBe(false);
  });

  it('carries attempts into a follow-up error, and routes later acts on the old error to the follow-up', () => {
    const state = reduceLedger(
      ledger(['error'], ['command', { refs: [1] }], ['error', { refs: [1], status: 'still failing' }], ['note', { refs: [1] }], ['command', { refs: [3] }]),
    );
    expect(unresolvedErrors(state)).toEqual([3]);
    expect(state.errors.get(1)).toMatchObject({ state: 'followed_up', followedUpBy: 3 });
    expect(state.errors.get(3)?.attempts).toEqual([2, 4, 5]);
    const resolved = reduceLedger(ledger(['error'], ['error', { refs: [1] }], ['error', { refs: [1], status: 'resolved' }]));
    expect(unresolvedErrors(resolved)).toEqual([]);
  });

  it('collects files touched by code changes and file entries, oldest first, without duplicates', () => {
    const state = reduceLedger(
      ledger(['code_change', { files: ['./src/a.ts', 'src/b.ts'] }], ['file', { files: ['docs/x.md'] }], ['code_change', { files: ['src/a.ts', 42, ''] }], ['note', { files: ['ignored.ts'] }]),
    );
    expect(state.files).toEqual([
      { path: 'src/a.ts', sequences: [1, 3] },
      { path: 'src/b.ts', sequences: [1] },
      { path: 'docs/x.md', sequences: [2] },
    ]);
  });

  it('finds the latest goal and status notes and counts unknown types without failing', () => {
    const state = reduceLedger(ledger(['message', { kind: 'goal' }], ['analysis'], ['note', { kind: 'status' }], ['note', { kind: 'goal' }], ['note', { kind: 'status' }], ['mystery', { refs: 'nonsense' }]));
    expect(state.goalSequence).toBe(4);
    expect(state.statusSequence).toBe(5);
    expect(state.byType.get('analysis')).toEqual([2]);
    expect(state.byType.get('mystery')).toEqual([6]);
    expect(state.entryCount).toBe(6);
    expect(state.lastSequence).toBe(6);
  });

  it('ignores refs that point forward or are not sequences', () => {
    const state = reduceLedger(ledger(['todo'], ['todo', { refs: [3, 'x', -1], status: 'done' }], ['todo']));
    expect(openTodos(state)).toEqual([1, 3]);
  });
});
