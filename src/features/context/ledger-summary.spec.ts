import type { EntryRecord } from 'src/features/context/context.types.js';
import { summarizeLedger } from 'src/features/context/ledger-summary.js';

let sequence = 0;
function entry(type: EntryRecord['type'], content: string, metadata: Record<string, unknown> = {}): EntryRecord {
  sequence += 1;
  return { id: `e${sequence}`, sequence, type, content, metadata, tokenCount: 2, contentHash: 'h', idempotencyKey: null, createdAt: new Date(Date.UTC(2026, 10, 22, 10, sequence)) };
}

describe('summarizeLedger', () => {
  it('keeps open todos, current decisions and unresolved errors as the ledger reducer defines them', () => {
    sequence = 0;
    const entries = [
      entry('todo', 'write the migration'), // 1, closed by 4
      entry('todo', 'update the docs'), // 2, still open
      entry('decision', 'use brotli'), // 3, superseded by 6
      entry('todo', 'migration written', { refs: [1], status: 'done' }), // 4
      entry('error', 'tests time out'), // 5, tried by 7, resolved by 11
      entry('decision', 'use brotli quality 6', { refs: [3] }), // 6
      entry('note', 'raised the timeout', { refs: [5] }), // 7: an attempt, not a resolution
      entry('error', 'lint fails'), // 8
      entry('code_change', 'new codec', { files: ['src/codec.ts', 'src/codec.spec.ts'] }), // 9
      entry('todo', 'update the docs and the changelog', { refs: [2], status: 'in_progress' }), // 10: replaces 2, still open
      entry('error', 'fixed by the longer timeout', { refs: [5], status: 'resolved' }), // 11
    ];
    const summary = summarizeLedger(entries);
    expect(summary).toMatchObject({
      entryCount: 11,
      tokenCount: 22,
      firstEntryAt: '2026-11-22T10:01:00.000Z',
      lastEntryAt: '2026-11-22T10:11:00.000Z',
      countsByType: { todo: 4, decision: 2, error: 3, note: 1, code_change: 1 },
      openTodos: [{ sequence: 10, content: 'update the docs and the changelog' }],
      decisions: [{ sequence: 6, content: 'use brotli quality 6' }],
      unresolvedErrors: [{ sequence: 8, content: 'lint fails' }],
      files: ['src/codec.ts', 'src/codec.spec.ts'],
    });
  });

  it('clips long items and describes an empty ledger', () => {
    sequence = 0;
    expect(summarizeLedger([entry('decision', 'x'.repeat(1000))]).decisions[0]?.content).toHaveLength(280);
    expect(summarizeLedger([])).toMatchObject({ entryCount: 0, firstEntryAt: null, lastEntryAt: null, openTodos: [] });
  });
});
