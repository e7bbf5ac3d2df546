import { byImportance, MIN_CAP, type ItemSpec } from 'src/features/handoffs/package-candidates.js';
import { costAt, type Item } from 'src/features/handoffs/package-items.js';

// Step 3 of a package: which items, how much of each, and how many files fit
// the budget. Chosen from the items' estimated costs in one pass each; the
// exact count of the rendering then has the last word, in a bounded number
// of renderings (a few shrinking passes, then a binary search).

export const SECTION_OVERHEAD = 12;
const SHRINK_PASSES = 4;

export interface Fit {
  chosen: Item[];
  fileCount: number;
}

export interface FitRequest {
  must: Item[];
  // Highest priority first.
  optional: ItemSpec[];
  toItem: (spec: ItemSpec) => Item;
  // Tokens left for items and files once the frame is counted.
  available: number;
  fileTotal: number;
  // Tokens of the list of the `n` most recently touched files.
  filesCost: (n: number) => number;
}

export function fitEstimate(request: FitRequest): Fit {
  const { must, available, fileTotal } = request;
  const filesCost = memo(request.filesCost);
  let fileCount = fileTotal;
  let kept = [...must];
  const mustCost = (cap: number) => kept.reduce((sum, i) => sum + costAt(i, Math.min(i.cap, cap)), 0) + sectionCount(kept) * SECTION_OVERHEAD + filesCost(fileCount);
  let cap = Math.max(...kept.map((i) => i.cap), MIN_CAP);
  if (mustCost(cap) > available) {
    // One shared cap on the must items' text, the largest that fits.
    let low = MIN_CAP;
    let high = cap;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (mustCost(mid) <= available) low = mid;
      else high = mid - 1;
    }
    cap = low;
    // Still too much: fewer files, then only the most important must items
    // (the oldest todos go first).
    while (fileCount > 0 && mustCost(cap) > available) fileCount = Math.max(0, fileCount - Math.max(1, Math.ceil(fileCount / 10)));
    if (mustCost(cap) > available) kept = mostImportantWithin(kept, (i) => costAt(i, Math.min(i.cap, cap)), available - filesCost(fileCount));
  }
  for (const item of kept) item.shown = Math.min(item.textTokens, item.cap, cap);
  const mustTruncated = kept.some((i) => i.shown < i.textTokens) || kept.length < must.length || fileCount < fileTotal;
  // Optional items only when every must item is shown in full.
  const chosen = mustTruncated ? kept : [...kept, ...fillOptional(request, kept, available - mustCost(cap))];
  return { chosen, fileCount };
}

// Optional items by priority while the budget lasts; the last one may be cut.
function fillOptional(request: FitRequest, kept: Item[], room: number): Item[] {
  let left = room;
  const added: Item[] = [];
  const sections = new Set(kept.map((i) => i.section));
  const errorsShown = new Set(kept.filter((i) => i.section === 'errors').map((i) => i.sequence));
  const shownSequences = new Set(kept.filter((i) => i.section !== 'highlights').map((i) => i.sequence));
  for (const spec of request.optional) {
    if (left < MIN_CAP) break;
    if (spec.parent !== undefined && !errorsShown.has(spec.parent)) continue;
    // An attempt shown under its error is not repeated as a message.
    if (spec.section !== 'highlights' && shownSequences.has(spec.sequence)) continue;
    const item = request.toItem(spec);
    const overhead = sections.has(item.section) || (item.section === 'tried' && sections.has('errors')) ? 0 : SECTION_OVERHEAD;
    if (item.fullCost + overhead <= left) {
      item.shown = Math.min(item.textTokens, item.cap);
    } else {
      const room = left - overhead - (item.fullCost - item.textTokens) - 3;
      if (room < 24) continue;
      item.shown = Math.min(room, item.cap);
    }
    left -= costAt(item, item.shown) + overhead;
    sections.add(item.section);
    if (item.section === 'errors') errorsShown.add(item.sequence);
    if (item.section !== 'highlights') shownSequences.add(item.sequence);
    added.push(item);
  }
  return added;
}

export interface Measured<T> {
  tokens: number;
  value: T;
}

// Renders and counts the fit, giving back room until it is within the
// budget: a few estimate-driven passes, then a binary search over how many
// items (most important first) are kept. Then fewer files, then the shortest
// list of omitted ranges. Null when not even the empty frame fits.
export function fitExactly<T>(start: Fit, rangesShown: number, tokenBudget: number, measure: (fit: Fit, rangesShown: number) => Measured<T>): T | null {
  let fit = start;
  let shown = rangesShown;
  for (let pass = 0; ; pass++) {
    const measured = measure(fit, shown);
    if (measured.tokens <= tokenBudget) return measured.value;
    if (fit.chosen.length > 0 && pass < SHRINK_PASSES) fit = { ...fit, chosen: shrink(fit.chosen, measured.tokens - tokenBudget) };
    else if (fit.chosen.length > 0) {
      const kept = largestFitting(fit, shown, tokenBudget, measure);
      if (kept !== null) return kept;
      fit = { ...fit, chosen: [] };
    } else if (fit.fileCount > 0) fit = { ...fit, fileCount: Math.floor(fit.fileCount / 2) };
    else if (shown > 1) shown = 1;
    else return null;
  }
}

function largestFitting<T>(fit: Fit, rangesShown: number, tokenBudget: number, measure: (fit: Fit, rangesShown: number) => Measured<T>): T | null {
  const ordered = [...fit.chosen].sort((a, b) => Number(b.must) - Number(a.must) || byImportance(a, b));
  let best: T | null = null;
  let low = 1;
  let high = ordered.length - 1;
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    const measured = measure({ ...fit, chosen: ordered.slice(0, mid) }, rangesShown);
    if (measured.tokens <= tokenBudget) {
      best = measured.value;
      low = mid + 1;
    } else high = mid - 1;
  }
  return best;
}

// Gives back at least `excess` tokens by estimate: optional items first
// (lowest priority), then the longest texts of must items are shortened,
// then the least important must items go, as many as it takes.
function shrink(items: Item[], excess: number): Item[] {
  let owed = excess + 4;
  const result = [...items];
  const optional = result.filter((i) => !i.must).sort((a, b) => a.priority - b.priority);
  for (const item of optional) {
    if (owed <= 0) break;
    result.splice(result.indexOf(item), 1);
    owed -= costAt(item, item.shown);
  }
  while (owed > 0) {
    const longest = result.filter((i) => i.shown > MIN_CAP).sort((a, b) => b.shown - a.shown)[0];
    if (!longest) break;
    const cut = Math.min(longest.shown - MIN_CAP, Math.max(owed, Math.ceil(longest.shown / 4)));
    longest.shown -= cut;
    owed -= cut;
  }
  if (owed <= 0) return result;
  const leastFirst = [...result].sort((a, b) => -byImportance(a, b));
  const dropped = new Set<Item>();
  for (const item of leastFirst) {
    if (owed <= 0 || dropped.size === result.length - 1) break;
    dropped.add(item);
    owed -= costAt(item, item.shown);
  }
  return result.filter((i) => !dropped.has(i));
}

// The longest run of items, most important first, whose costs fit `room`.
function mostImportantWithin(items: Item[], cost: (item: Item) => number, room: number): Item[] {
  const kept: Item[] = [];
  const sections = new Set<string>();
  let used = 0;
  for (const item of [...items].sort(byImportance)) {
    const next = used + cost(item) + (sections.has(item.section) ? 0 : SECTION_OVERHEAD);
    if (next > room) break;
    used = next;
    sections.add(item.section);
    kept.push(item);
  }
  return kept;
}

function sectionCount(items: Item[]): number {
  return new Set(items.map((i) => i.section)).size;
}

function memo(f: (n: number) => number): (n: number) => number {
  const known = new Map<number, number>();
  return (n) => {
    let value = known.get(n);
    if (value === undefined) {
      value = f(n);
      known.set(n, value);
    }
    return value;
  };
}
