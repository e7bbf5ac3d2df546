import type { OmittedKind, PackageOmissions } from 'src/features/handoffs/handoffs.types.js';
import type { LedgerEntry, LedgerState } from 'src/features/context/context.types.js';
import { decisionsInForce, entryKind, openTodos, unresolvedErrors } from 'src/features/context/ledger-state.reducer.js';

// Step 4 of a package: what was left out, by count, kind and sequence range.
// Worked out from the state's counts and the entries shown, so it costs what
// the package shows, not the length of the session.
export function omissions(
  state: LedgerState,
  entries: ReadonlyMap<number, LedgerEntry>,
  included: ReadonlySet<number>,
  filesLeftOut: number,
  rangesShown: number,
  frame: boolean,
): PackageOmissions {
  const shown = [...included].filter((seq) => seq >= 1 && seq <= state.lastSequence).sort((a, b) => a - b);
  const kinds = new Map(state.kinds);
  for (const seq of shown) {
    const entry = entries.get(seq);
    if (!entry) continue;
    const kind = entryKind(state, entry);
    kinds.set(kind, (kinds.get(kind) ?? 0) - 1);
  }
  const byKind: OmittedKind[] = [...kinds.entries()]
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => ({ kind, count }))
    .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
  const ranges = gaps(shown, state.lastSequence);
  return {
    count: state.entryCount - shown.length,
    ranges: ranges.slice(0, rangesShown),
    moreRanges: Math.max(0, ranges.length - rangesShown),
    byKind,
    // The frame (measured before any item is chosen) assumes nothing current is left out.
    currentItemsLeftOut: frame
      ? { openTodos: [], decisionsInForce: [], unresolvedErrors: [], files: 0 }
      : {
          openTodos: openTodos(state).filter((s) => !included.has(s)),
          decisionsInForce: decisionsInForce(state).filter((s) => !included.has(s)),
          unresolvedErrors: unresolvedErrors(state).filter((s) => !included.has(s)),
          files: filesLeftOut,
        },
  };
}

// The ranges of 1..last not in `shown` (sorted, distinct): at most one more
// than the entries shown.
function gaps(shown: readonly number[], last: number): [number, number][] {
  const ranges: [number, number][] = [];
  let from = 1;
  for (const seq of [...shown, last + 1]) {
    if (seq > from) ranges.push([from, seq - 1]);
    from = seq + 1;
  }
  return ranges;
}
