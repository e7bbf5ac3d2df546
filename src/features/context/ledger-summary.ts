import type { EntryRecord, EntryType, LedgerSummary, SummaryItem } from 'src/features/context/context.types.js';

const ITEM_CHARS = 280;
const MAX_ITEMS = 20;
const MAX_FILES = 100;
// A todo naming an earlier todo in refs with one of these statuses closes it.
const CLOSING_TODO_STATUSES = new Set(['done', 'cancelled']);

// The ledger's state at the end, by its own conventions: a later todo with
// refs and status done closes a todo, a later decision with refs supersedes a
// decision, and any later entry naming an error in refs resolves it.
export function summarizeLedger(entries: readonly EntryRecord[]): LedgerSummary {
  const ordered = [...entries].sort((a, b) => a.sequence - b.sequence);
  const closedTodos = new Set<number>();
  const superseded = new Set<number>();
  const referenced = new Set<number>();
  const countsByType: Partial<Record<EntryType, number>> = {};
  const files = new Set<string>();
  let tokenCount = 0;
  for (const entry of ordered) {
    countsByType[entry.type] = (countsByType[entry.type] ?? 0) + 1;
    tokenCount += entry.tokenCount;
    const refs = refsOf(entry);
    for (const ref of refs) referenced.add(ref);
    if (entry.type === 'todo' && CLOSING_TODO_STATUSES.has(String(entry.metadata.status))) refs.forEach((ref) => closedTodos.add(ref));
    if (entry.type === 'decision') refs.forEach((ref) => superseded.add(ref));
    for (const file of filesOf(entry)) if (files.size < MAX_FILES) files.add(file);
  }
  const pick = (type: EntryType, keep: (entry: EntryRecord) => boolean): SummaryItem[] =>
    ordered
      .filter((entry) => entry.type === type && keep(entry))
      .slice(-MAX_ITEMS)
      .map((entry) => ({ sequence: entry.sequence, content: clip(entry.content) }));
  return {
    entryCount: ordered.length,
    tokenCount,
    firstEntryAt: ordered[0]?.createdAt.toISOString() ?? null,
    lastEntryAt: ordered.at(-1)?.createdAt.toISOString() ?? null,
    countsByType,
    // A todo that closes another is bookkeeping, not open work.
    openTodos: pick('todo', (e) => !closedTodos.has(e.sequence) && refsOf(e).length === 0),
    decisions: pick('decision', (e) => !superseded.has(e.sequence)),
    unresolvedErrors: pick('error', (e) => !referenced.has(e.sequence)),
    files: [...files],
  };
}

function refsOf(entry: EntryRecord): number[] {
  const refs = entry.metadata.refs;
  return Array.isArray(refs) ? refs.filter((r): r is number => Number.isInteger(r)) : [];
}

function filesOf(entry: EntryRecord): string[] {
  const files = entry.metadata.files;
  return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
}

function clip(text: string): string {
  return text.length <= ITEM_CHARS ? text : `${text.slice(0, ITEM_CHARS - 1)}…`;
}
