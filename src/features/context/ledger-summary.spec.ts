import type { EntryRecord } from 'src/features/context/context.types.js';
import { summarizeLedger } from 'src/features/context/ledger-summary.js';

let sequence = 0;
function entry(type: EntryRecord['type'], content: string, metadata: Record<string, unknown> = {}): EntryRecord {
  sequence += 1;
  return { id: `e${sequence}`, sequence, type, content, metadata, tokenCount: 2, contentHash: 'h', idempotencyKey: null, createdAt: new Date(Date.UTC(2026, 10, 22, 10, sequence)) };
}

describe('summarizeLedger', () => {
  it('keeps open todos, current decisions and unresolved errors by the ledger\'s refs conventions', () => {
    sequence = 0;
    const entries = [
      entry('todo', 'write the migration'), // 1, closed by 4
      entry('todo', 'update the docs'), // 2, still open
      entry('decision', 'use brotli'), // 3, superseded by 6
      entry('todo', 'migration written', { refs: [1], status: 'done' }), // 4
      entry('error', 'tests time out'), // 5, resolved by 7
      entry('decision', 'use brotli quality 6', { refs: [3] }), // 6
      entry('note', 'raised the timeout', { refs: [5] }), // 7
      entry('error', 'lint fails'), // 8
      entry('code_change', 'new codec', { files: ['src/codec.ts', 'src/codec.spec.ts'] }), // 9
      entry('todo', 'in progress', { refs: [2], status: 'in_progress' }), // 10: does not close 2
    ];
    const summary = summarizeLedger(entries);
    expect(summary).toMatchObject({
      entryCount: 10,
      tokenCount: 20,
      firstEntryAt: '2026-11-22T10:01:00.000Z',
      lastEntryAt: '2026-11-22T10:10:00.000Z',
      countsByType: { todo: 4, decision: 2, error: 2, note: 1, code_change: 1 },
      openTodos: [{ sequence: 2, content: 'update the docs' }],
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
