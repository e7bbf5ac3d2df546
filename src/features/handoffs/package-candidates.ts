import type { LedgerEntry, LedgerState } from 'src/features/context/context.types.js';
import { decisionsInForce, openTodos, RECENT_WINDOW, unresolvedErrors } from 'src/features/context/ledger-state.reducer.js';

// Step 1 of a package: what it could show, most important first, read from
// the ledger's current state only (never from every entry).

export type Section = 'goal' | 'status' | 'todos' | 'decisions' | 'errors' | 'tried' | 'changes' | 'messages' | 'highlights';

export interface ItemSpec {
  section: Section;
  sequence: number;
  must: boolean;
  priority: number;
  cap: number;
  // For attempts: the error they belong to.
  parent?: number;
}

// Content caps (tokens) by section; must items share one cap that shrinks
// until they all fit.
export const CAP = { goal: 200, status: 300, todo: 600, decision: 600, error: 400, tried: 150, change: 300, message: 200, highlight: 80 } as const;
export const MIN_CAP = 12;
// The fewest tokens an item ever takes (label and shortest text): no package
// holds more than budget / MIN_ITEM_TOKENS items, so no more are read.
const MIN_ITEM_TOKENS = 16;
const MAX_OPTIONAL_PER_SECTION = Math.min(40, RECENT_WINDOW - 2);

// Every item the package could show: must items (goal, status, the latest
// unresolved error, decisions in force, open todos) first, then optional ones.
export function itemSpecs(state: LedgerState, highlightCount = 0): ItemSpec[] {
  const specs: ItemSpec[] = [];
  const errors = unresolvedErrors(state);
  const lastError = errors.at(-1);
  if (state.goalSequence !== undefined) specs.push({ section: 'goal', sequence: state.goalSequence, must: true, priority: 100, cap: CAP.goal });
  if (state.statusSequence !== undefined) specs.push({ section: 'status', sequence: state.statusSequence, must: true, priority: 99, cap: CAP.status });
  if (lastError !== undefined) specs.push({ section: 'errors', sequence: lastError, must: true, priority: 98, cap: CAP.error });
  for (const seq of decisionsInForce(state)) specs.push({ section: 'decisions', sequence: seq, must: true, priority: 97, cap: CAP.decision });
  for (const seq of openTodos(state)) specs.push({ section: 'todos', sequence: seq, must: true, priority: 96, cap: CAP.todo });

  const newestFirst = (list: readonly number[]) => [...list].sort((a, b) => b - a);
  if (lastError !== undefined) {
    newestFirst(state.errors.get(lastError) ?? []).forEach((seq, rank) => specs.push({ section: 'tried', sequence: seq, must: false, priority: 95 - rank / 100, cap: CAP.tried, parent: lastError }));
  }
  newestFirst(errors.filter((e) => e !== lastError)).forEach((seq, rank) => {
    specs.push({ section: 'errors', sequence: seq, must: false, priority: 88 - rank, cap: CAP.error });
    newestFirst(state.errors.get(seq) ?? []).forEach((a, r) => specs.push({ section: 'tried', sequence: a, must: false, priority: 70 - rank - r / 100, cap: CAP.tried, parent: seq }));
  });
  const special = new Set([state.goalSequence, state.statusSequence]);
  const plain = (list: readonly number[]) => newestFirst(list.filter((s) => !special.has(s))).slice(0, MAX_OPTIONAL_PER_SECTION);
  plain(state.recent.changes).forEach((seq, rank) => specs.push({ section: 'changes', sequence: seq, must: false, priority: 75 - 2 * rank, cap: CAP.change }));
  // Pinned messages and notes are candidates whatever their age, ranked above
  // plain ones; only plain ones are cut to the newest few, so later chatter
  // cannot push a pinned one out.
  const pinned = new Set(state.pinned);
  newestFirst(state.pinned.filter((s) => !special.has(s))).forEach((seq, rank) => specs.push({ section: 'messages', sequence: seq, must: false, priority: 85 - rank / 100, cap: CAP.message }));
  plain(state.recent.messages.filter((s) => !pinned.has(s))).forEach((seq, rank) => specs.push({ section: 'messages', sequence: seq, must: false, priority: 65 - 2 * rank, cap: CAP.message }));
  for (let i = 0; i < highlightCount; i++) specs.push({ section: 'highlights', sequence: i, must: false, priority: 60 - 2 * i, cap: CAP.highlight });
  return specs;
}

// The entries whose outline a package of this budget may need: the most
// important must items and optional items that could ever fit, and the
// newest entry (the state line names it).
export function candidateSequences(state: LedgerState, tokenBudget: number): number[] {
  const specs = itemSpecs(state);
  const optional = specs.filter((s) => !s.must).sort(byImportance).slice(0, mostItems(tokenBudget));
  return [...new Set([...mustInReach(specs, tokenBudget), ...optional].map((s) => s.sequence).concat(state.lastSequence > 0 ? [state.lastSequence] : []))].sort((a, b) => a - b);
}

// The must items a package of this budget could hold at all, most important first.
export function mustInReach(specs: readonly ItemSpec[], tokenBudget: number): ItemSpec[] {
  return specs
    .filter((s) => s.must)
    .sort(byImportance)
    .slice(0, mostItems(tokenBudget));
}

function mostItems(tokenBudget: number): number {
  return Math.max(1, Math.floor(tokenBudget / MIN_ITEM_TOKENS));
}

// Entries whose content the package may quote, most important first: every
// must item that could fit, and optional ones while an estimate of their
// cost stays within half again the budget.
export function planContents(state: LedgerState, entries: ReadonlyMap<number, LedgerEntry>, tokenBudget: number): number[] {
  const specs = itemSpecs(state);
  let estimate = 0;
  const chosen: number[] = [];
  for (const spec of [...mustInReach(specs, tokenBudget), ...specs.filter((s) => !s.must).sort(byImportance)]) {
    const cost = Math.min(entries.get(spec.sequence)?.tokenCount ?? 0, spec.cap) + 8;
    if (!spec.must && estimate + cost > tokenBudget * 1.5) continue;
    estimate += cost;
    chosen.push(spec.sequence);
  }
  return [...new Set(chosen)];
}

// Most important first: higher priority, then newer.
export function byImportance(a: { priority: number; sequence: number }, b: { priority: number; sequence: number }): number {
  return b.priority - a.priority || b.sequence - a.sequence;
}
