import { decisionsInForce, openTodos, reduceLedger, unresolvedErrors } from 'src/features/context/ledger-state.reducer.js';
import type { EntryRecord, EntryType, LedgerSummary, SummaryItem } from 'src/features/context/context.types.js';

const ITEM_CHARS = 280;
const MAX_ITEMS = 20;
const MAX_FILES = 100;

// The ledger's state at the end, as the ledger reducer defines it (the same
// meaning handoff packages use), kept with an archived session so readers
// need not decompress its entries to know where the work stood.
export function summarizeLedger(entries: readonly EntryRecord[]): LedgerSummary {
  const ordered = [...entries].sort((a, b) => a.sequence - b.sequence);
  const state = reduceLedger(ordered);
  const bySequence = new Map(ordered.map((entry) => [entry.sequence, entry]));
  const countsByType: Partial<Record<EntryType, number>> = {};
  let tokenCount = 0;
  for (const entry of ordered) {
    countsByType[entry.type] = (countsByType[entry.type] ?? 0) + 1;
    tokenCount += entry.tokenCount;
  }
  const items = (sequences: number[]): SummaryItem[] =>
    sequences.slice(-MAX_ITEMS).map((sequence) => ({ sequence, content: clip(bySequence.get(sequence)?.content ?? '') }));
  return {
    entryCount: ordered.length,
    tokenCount,
    firstEntryAt: ordered[0]?.createdAt.toISOString() ?? null,
    lastEntryAt: ordered.at(-1)?.createdAt.toISOString() ?? null,
    countsByType,
    openTodos: items(openTodos(state)),
    decisions: items(decisionsInForce(state)),
    unresolvedErrors: items(unresolvedErrors(state)),
    files: [...state.files.keys()].slice(0, MAX_FILES),
  };
}

function clip(text: string): string {
  return text.length <= ITEM_CHARS ? text : `${text.slice(0, ITEM_CHARS - 1)}…`;
}
