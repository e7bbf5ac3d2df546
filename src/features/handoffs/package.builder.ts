import { Injectable } from '@nestjs/common';

import { clipToTokens, countTextTokens, TOKENIZER_NAME, truncateToTokens } from 'src/platform/tokens/token-counter.js';
import type { CodebaseHighlight, HandoffEnvelope, HandoffPackage, OmittedKind, PackageError, PackageOmissions, QuotedEntry } from 'src/features/handoffs/handoffs.types.js';
import type { LedgerEntry, LedgerState } from 'src/features/context/context.types.js';
import { decisionsInForce, openTodos, unresolvedErrors } from 'src/features/context/ledger-state.reducer.js';
import { DATA_NOTICE, entryLine, fileLines, renderPackageMarkdown, type PackageBody } from 'src/features/handoffs/package.renderer.js';
import type { RepositoryAnchor, SessionStatus } from 'src/features/sessions/sessions.types.js';

export interface BriefSession {
  sessionKey: string;
  title: string | null;
  agentId: string;
  status: SessionStatus;
  repository: RepositoryAnchor;
  lastSequence: number;
  createdAt: Date;
  lastActivityAt: Date;
  expiresAt: Date;
}

// Display texts, already redacted by the caller.
export interface BriefTexts {
  contents: ReadonlyMap<number, string>;
  // Entries whose content redaction changed: their stored token count no
  // longer describes the text.
  redacted: ReadonlySet<number>;
  title: string | null;
  instructions: string | null;
  paths: ReadonlyMap<string, string>;
  repository: RepositoryAnchor;
  highlights: CodebaseHighlight[];
}

export interface BriefInput {
  session: BriefSession;
  state: LedgerState;
  entries: ReadonlyMap<number, LedgerEntry>;
  texts: BriefTexts;
  envelope: HandoffEnvelope | null;
  tokenBudget: number;
  redactions: { count: number; kinds: Record<string, number> };
}

type Section = 'goal' | 'status' | 'todos' | 'decisions' | 'errors' | 'tried' | 'changes' | 'messages' | 'highlights';

interface ItemSpec {
  section: Section;
  sequence: number;
  must: boolean;
  priority: number;
  cap: number;
  // For attempts: the error they belong to.
  parent?: number;
}

interface Item extends ItemSpec {
  text: string;
  textTokens: number;
  fullCost: number;
  // Content tokens shown; below textTokens the entry is truncated.
  shown: number;
}

// Content caps (tokens) by section; must items share one cap that shrinks
// until they all fit.
const CAP = { goal: 200, status: 300, todo: 600, decision: 600, error: 400, tried: 150, change: 300, message: 200, highlight: 80 } as const;
const MIN_CAP = 12;
const SECTION_OVERHEAD = 12;
// Content is fetched up to this many characters: far beyond any cap, so
// nothing shown comes near the cut.
export const CONTENT_PREFIX_CHARS = 12_000;
const MAX_OPTIONAL_PER_SECTION = 40;

// Builds the deterministic package: every open todo, decision in force and
// the latest unresolved error first (shortened together when space is short),
// then the rest by kind, state and recency while the budget lasts. The
// Markdown rendering is counted with the entries' tokenizer and never exceeds
// the budget; what is left out is reported by count and sequence range.
@Injectable()
export class HandoffPackageBuilder {
  // Entries whose content the package may quote, most important first.
  plan(state: LedgerState, entries: ReadonlyMap<number, LedgerEntry>, tokenBudget: number): number[] {
    let estimate = 0;
    const chosen: number[] = [];
    for (const spec of itemSpecs(state, entries)) {
      if (spec.section === 'highlights') continue;
      const cost = Math.min(entries.get(spec.sequence)?.tokenCount ?? 0, spec.cap) + 8;
      if (!spec.must && estimate + cost > tokenBudget * 1.5) continue;
      estimate += cost;
      chosen.push(spec.sequence);
    }
    return [...new Set(chosen)];
  }

  build(input: BriefInput): HandoffPackage {
    const { state, tokenBudget } = input;
    const kinds = kindsOf(input);
    const specs = itemSpecs(state, input.entries, input.texts.highlights.length);
    const must = specs.filter((spec) => spec.must).map((spec) => toItem(spec, input));
    // Optional items are measured only when their turn comes.
    const optional = specs.filter((spec) => !spec.must).sort((a, b) => b.priority - a.priority);
    const allFiles = [...state.files].sort((a, b) => (b.sequences.at(-1) ?? 0) - (a.sequences.at(-1) ?? 0));

    // The frame: everything but the items, with room for a fragmented list
    // of omitted ranges.
    const rangesShown = tokenBudget < 1500 ? 6 : tokenBudget < 5000 ? 12 : 24;
    const frame = countTextTokens(renderPackageMarkdown(this.body(input, [], { fileCount: 0, rangesShown, kinds, frame: true }), rangesShown)) + rangesShown * 7;
    const available = tokenBudget - frame;

    // Must items: files in full, one shared cap on the text of the rest.
    let fileCount = allFiles.length;
    const filesCost = (n: number) => (n > 0 ? countTextTokens(fileLines(allFiles.slice(0, n).map((f) => this.path(input, f.path)), allFiles.length).join('\n')) + SECTION_OVERHEAD : 0);
    const sectionsOf = (list: Item[]) => new Set(list.map((i) => i.section)).size * SECTION_OVERHEAD;
    let kept = [...must];
    const mustCost = (cap: number) => kept.reduce((sum, i) => sum + costAt(i, Math.min(i.cap, cap)), 0) + sectionsOf(kept) + filesCost(fileCount);
    let cap = Math.max(...kept.map((i) => i.cap), MIN_CAP);
    if (mustCost(cap) > available) {
      let low = MIN_CAP;
      let high = cap;
      while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (mustCost(mid) <= available) low = mid;
        else high = mid - 1;
      }
      cap = low;
      // Still too much: fewer files, then drop must items from the least
      // important (oldest todos first).
      while (fileCount > 0 && mustCost(cap) > available) fileCount = Math.max(0, fileCount - Math.max(1, Math.ceil(fileCount / 10)));
      while (kept.length > 0 && mustCost(cap) > available) kept = dropLeastImportant(kept);
    }
    for (const item of kept) item.shown = Math.min(item.textTokens, item.cap, cap);
    const mustTruncated = kept.some((i) => i.shown < i.textTokens) || kept.length < must.length || fileCount < allFiles.length;

    // Optional items while the budget lasts, unless must items were already
    // shortened for lack of room.
    let chosen = [...kept];
    if (!mustTruncated) {
      let left = available - mustCost(cap);
      const sections = new Set(kept.map((i) => i.section));
      const shownSequences = new Set(kept.filter((i) => i.section !== 'highlights').map((i) => i.sequence));
      for (const spec of optional) {
        if (left < MIN_CAP) break;
        if (spec.parent !== undefined && !chosen.some((c) => c.section === 'errors' && c.sequence === spec.parent)) continue;
        // An attempt shown under its error is not repeated as a message.
        if (spec.section !== 'highlights' && shownSequences.has(spec.sequence)) continue;
        const item = toItem(spec, input);
        const overhead = sections.has(item.section) || (item.section === 'tried' && sections.has('errors')) ? 0 : SECTION_OVERHEAD;
        const full = item.fullCost + overhead;
        if (full <= left) {
          item.shown = Math.min(item.textTokens, item.cap);
        } else {
          const room = left - overhead - (item.fullCost - item.textTokens) - 3;
          if (room < 24) continue;
          item.shown = Math.min(room, item.cap);
        }
        left -= costAt(item, item.shown) + overhead;
        sections.add(item.section);
        if (item.section !== 'highlights') shownSequences.add(item.sequence);
        chosen.push(item);
      }
    }

    // The estimates are close, not exact: count the real thing and give
    // back room until it fits.
    for (let shown = rangesShown; ; ) {
      const body = this.body(input, chosen, { fileCount, rangesShown: shown, kinds });
      const markdown = renderPackageMarkdown(body, shown);
      const tokens = countTextTokens(markdown);
      if (tokens <= tokenBudget) return { ...body, budget: { ...body.budget, packageTokens: tokens }, markdown };
      if (chosen.length > 0) chosen = shrink(chosen, tokens - tokenBudget);
      else if (fileCount > 0) fileCount = Math.floor(fileCount / 2);
      else if (shown > 1) shown = 1;
      else return minimalPackage(body, tokenBudget);
    }
  }

  private body(input: BriefInput, chosen: Item[], options: { fileCount: number; rangesShown: number; kinds: ReadonlyMap<number, string>; frame?: boolean }): PackageBody {
    const { session, state, texts, envelope } = input;
    const shown = new Map(chosen.map((i) => [`${i.section}:${i.sequence}`, i]));
    const quote = (item: Item): QuotedEntry => quoteEntry(item, input);
    const pick = (section: Section) => chosen.filter((i) => i.section === section).sort((a, b) => a.sequence - b.sequence);

    const files = [...state.files].sort((a, b) => (b.sequences.at(-1) ?? 0) - (a.sequences.at(-1) ?? 0)).slice(0, options.fileCount);
    const errors: PackageError[] = pick('errors').map((e) => {
      const attempts = state.errors.get(e.sequence)?.attempts ?? [];
      const tried = attempts.map((a) => shown.get(`tried:${a}`)).filter((t): t is Item => t !== undefined);
      return { error: quote(e), tried: tried.map(quote), triedOmitted: attempts.length - tried.length };
    });
    const goalItem = chosen.find((i) => i.section === 'goal');
    const statusItem = chosen.find((i) => i.section === 'status');
    const sections = {
      openTodos: pick('todos').map(quote),
      decisions: pick('decisions').map(quote),
      codeChanges: pick('changes').map(quote),
      messages: pick('messages').map(quote),
    };
    // What the package really shows (an attempt whose error was left out is not shown).
    const included = new Set([
      ...(goalItem ? [goalItem.sequence] : []),
      ...(statusItem ? [statusItem.sequence] : []),
      ...Object.values(sections).flatMap((list) => list.map((q) => q.sequence)),
      ...errors.flatMap((e) => [e.error.sequence, ...e.tried.map((t) => t.sequence)]),
    ]);
    const last = input.entries.get(state.lastSequence);
    const counts = {
      entries: state.entryCount,
      openTodos: openTodos(state).length,
      decisionsInForce: decisionsInForce(state).length,
      unresolvedErrors: unresolvedErrors(state).length,
      filesTouched: state.files.length,
    };
    const summary =
      `${counts.openTodos} open todos · ${counts.decisionsInForce} decisions in force · ${counts.unresolvedErrors} unresolved errors · ${counts.filesTouched} files touched` +
      (last ? ` · last entry #${last.sequence} (${last.type}) at ${last.createdAt.toISOString().slice(0, 16)}Z` : ' · no entries yet');
    const readOnly = session.status === 'expired' || session.status === 'archived';
    // A title is one line of intent; a long one must not eat a small budget.
    const title = texts.title ? truncateToTokens(texts.title, Math.max(16, Math.min(80, Math.floor(input.tokenBudget / 10)))) : null;

    return {
      format: 'baton.handoff-package/1',
      mode: 'deterministic',
      notice: `${DATA_NOTICE} In this JSON, every "quoted" field is such data.`,
      session: {
        sessionKey: session.sessionKey,
        title,
        ownerAgentId: session.agentId,
        status: session.status,
        readOnly,
        lastSequence: session.lastSequence,
        createdAt: session.createdAt.toISOString(),
        lastActivityAt: session.lastActivityAt.toISOString(),
        expiresAt: session.expiresAt.toISOString(),
      },
      handoff: envelope ? { ...envelope, instructions: texts.instructions } : null,
      goal: goalItem ? { text: title ?? '', source: 'entry', entry: quote(goalItem) } : { text: title ?? '', source: title ? 'title' : 'none', entry: null },
      state: { summary, counts, latestStatus: statusItem ? quote(statusItem) : null },
      ...sections,
      files: files.map((f) => ({ path: this.path(input, f.path), lastSequence: f.sequences.at(-1) ?? 0, changes: f.sequences.length })),
      errors,
      codebaseHighlights: pick('highlights').map((h) => highlightShown(texts.highlights[h.sequence] as CodebaseHighlight)),
      repository: texts.repository,
      instructions: texts.instructions,
      omitted: omissions(input, options.kinds, included, state.files.length - files.length, options.rangesShown, options.frame === true),
      pointers: pointers(session.sessionKey),
      budget: { tokenBudget: input.tokenBudget, packageTokens: 0, tokenizer: TOKENIZER_NAME },
      redactions: input.redactions,
      builtThroughSequence: state.lastSequence,
      condensation: null,
    };
  }

  private path(input: BriefInput, path: string): string {
    return input.texts.paths.get(path) ?? path;
  }
}

// Every item the package could show, must items first, then by priority.
function itemSpecs(state: LedgerState, entries: ReadonlyMap<number, LedgerEntry>, highlightCount = 0): ItemSpec[] {
  const specs: ItemSpec[] = [];
  const lastError = unresolvedErrors(state).at(-1);
  if (state.goalSequence !== undefined) specs.push({ section: 'goal', sequence: state.goalSequence, must: true, priority: 100, cap: CAP.goal });
  if (state.statusSequence !== undefined) specs.push({ section: 'status', sequence: state.statusSequence, must: true, priority: 99, cap: CAP.status });
  if (lastError !== undefined) specs.push({ section: 'errors', sequence: lastError, must: true, priority: 98, cap: CAP.error });
  for (const seq of decisionsInForce(state)) specs.push({ section: 'decisions', sequence: seq, must: true, priority: 97, cap: CAP.decision });
  for (const seq of openTodos(state)) specs.push({ section: 'todos', sequence: seq, must: true, priority: 96, cap: CAP.todo });

  const newestFirst = (list: number[]) => [...list].sort((a, b) => b - a);
  if (lastError !== undefined) {
    newestFirst(state.errors.get(lastError)?.attempts ?? []).forEach((seq, rank) => specs.push({ section: 'tried', sequence: seq, must: false, priority: 95 - rank / 100, cap: CAP.tried, parent: lastError }));
  }
  newestFirst(unresolvedErrors(state).filter((e) => e !== lastError)).forEach((seq, rank) => {
    specs.push({ section: 'errors', sequence: seq, must: false, priority: 88 - rank, cap: CAP.error });
    newestFirst(state.errors.get(seq)?.attempts ?? []).forEach((a, r) => specs.push({ section: 'tried', sequence: a, must: false, priority: 70 - rank - r / 100, cap: CAP.tried, parent: seq }));
  });
  const special = new Set([state.goalSequence, state.statusSequence]);
  const plain = (type: string) => newestFirst((state.byType.get(type) ?? []).filter((s) => !state.stateChanges.has(s) && !special.has(s)));
  plain('code_change')
    .slice(0, MAX_OPTIONAL_PER_SECTION)
    .forEach((seq, rank) => specs.push({ section: 'changes', sequence: seq, must: false, priority: 75 - 2 * rank, cap: CAP.change }));
  // Pinned messages are candidates whatever their age; only plain ones are
  // cut to the newest few, so later chatter cannot push a pinned one out.
  const messages = newestFirst([...plain('message'), ...plain('note')]);
  const isPinned = (seq: number) => entries.get(seq)?.metadata.pinned === true || entries.get(seq)?.metadata.important === true;
  messages.filter(isPinned).forEach((seq, rank) => specs.push({ section: 'messages', sequence: seq, must: false, priority: 85 - rank / 100, cap: CAP.message }));
  messages
    .filter((seq) => !isPinned(seq))
    .slice(0, MAX_OPTIONAL_PER_SECTION)
    .forEach((seq, rank) => specs.push({ section: 'messages', sequence: seq, must: false, priority: 65 - 2 * rank, cap: CAP.message }));
  for (let i = 0; i < highlightCount; i++) specs.push({ section: 'highlights', sequence: i, must: false, priority: 60 - 2 * i, cap: CAP.highlight });
  return specs;
}

function toItem(spec: ItemSpec, input: BriefInput): Item {
  const raw = spec.section === 'highlights' ? highlightText(input.texts.highlights[spec.sequence]) : (input.texts.contents.get(spec.sequence) ?? '');
  // Most entries are short and unchanged: their stored token count (same
  // tokenizer) saves tokenizing them again. The rest are cut to what could
  // ever be shown, and counted.
  const stored = spec.section === 'highlights' || input.texts.redacted.has(spec.sequence) ? undefined : input.entries.get(spec.sequence)?.tokenCount;
  const { text, tokens: textTokens } =
    stored !== undefined && stored <= spec.cap && raw.length < CONTENT_PREFIX_CHARS / 2 ? { text: raw, tokens: stored } : clipToTokens(raw.slice(0, CONTENT_PREFIX_CHARS / 2), spec.cap);
  const item: Item = { ...spec, text, textTokens, fullCost: 0, shown: textTokens };
  // The label and the text are counted apart: close enough, and the exact
  // count of the whole package has the last word.
  const label = spec.section === 'highlights' ? 0 : countTextTokens(entryLine({ ...quoteEntry({ ...item, text: '' }, input), quoted: '' }));
  item.fullCost = label + textTokens + (text.match(/\n/g)?.length ?? 0) + 1 + (text.length < raw.length ? 2 : 0);
  return item;
}

function highlightText(h: CodebaseHighlight | undefined): string {
  return h ? `${h.path}: ${highlightShown(h).summary}` : '';
}

function highlightShown(h: CodebaseHighlight): CodebaseHighlight {
  return { ...h, summary: truncateToTokens(h.summary, CAP.highlight) };
}

// The last resort when even the frame is over budget (tiny budget, long
// names): the session, the notice and where to read the rest.
function minimalPackage(body: PackageBody, tokenBudget: number): HandoffPackage {
  const markdown = [
    `# Handoff brief: session \`${body.session.sessionKey}\``,
    `> ${DATA_NOTICE}`,
    `The token budget (${tokenBudget}) is too small for this session's brief. ${body.pointers.howToRead}`,
    '',
  ].join('\n');
  const emptied: PackageBody = {
    ...body,
    goal: { text: '', source: 'none', entry: null },
    state: { ...body.state, latestStatus: null },
    openTodos: [],
    decisions: [],
    codeChanges: [],
    files: [],
    errors: [],
    messages: [],
    codebaseHighlights: [],
  };
  return { ...emptied, budget: { ...body.budget, packageTokens: countTextTokens(markdown) }, markdown };
}

function costAt(item: Item, shown: number): number {
  return item.fullCost - Math.max(0, item.textTokens - shown) + (shown < item.textTokens ? 3 : 0);
}

function quoteEntry(item: Item, input: BriefInput): QuotedEntry {
  const entry = input.entries.get(item.sequence);
  const metadata = entry?.metadata ?? {};
  const truncated = item.shown < item.textTokens;
  const quoted = truncated ? truncateToTokens(item.text, item.shown).trimEnd() : item.text;
  const raw = input.texts.contents.get(item.sequence) ?? '';
  const files = Array.isArray(metadata.files) ? metadata.files.filter((f): f is string => typeof f === 'string').map((f) => input.texts.paths.get(f.trim().replace(/^\.\//, '')) ?? f) : [];
  const decision = input.state.decisions.get(item.sequence);
  return {
    sequence: item.sequence,
    type: entry?.type ?? 'unknown',
    at: entry?.createdAt.toISOString() ?? '',
    quoted,
    truncated: truncated || item.text.length < raw.length,
    ...(files.length > 0 && (item.section === 'changes' || item.section === 'tried') ? { files } : {}),
    ...(typeof metadata.status === 'string' && item.section === 'tried' ? { status: metadata.status } : {}),
    ...(item.section === 'decisions' && decision && decision.supersedes.length > 0 ? { supersedes: decision.supersedes } : {}),
  };
}

// Lowest priority first; oldest todos before decisions before the error.
function dropLeastImportant(items: Item[]): Item[] {
  const order = [...items].sort((a, b) => a.priority - b.priority || a.sequence - b.sequence);
  const victim = order[0];
  return items.filter((i) => i !== victim);
}

// Gives back at least `excess` tokens: optional items first (lowest
// priority), then the longest texts of must items are shortened.
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
  if (owed > 0 && result.length > 0) return dropLeastImportant(result);
  return result;
}

// What each entry is, for the report of what was left out.
function kindsOf(input: BriefInput): Map<number, string> {
  const kinds = new Map<number, string>();
  for (const entry of input.entries.values()) kinds.set(entry.sequence, kindOf(input.state, entry));
  return kinds;
}

function omissions(input: BriefInput, kindOfEntry: ReadonlyMap<number, string>, included: Set<number>, filesLeftOut: number, rangesShown: number, frame: boolean): PackageOmissions {
  const { state } = input;
  const omitted: number[] = [];
  const kinds = new Map<string, number>();
  for (let seq = 1; seq <= state.lastSequence; seq++) {
    const kind = kindOfEntry.get(seq);
    if (included.has(seq) || kind === undefined) continue;
    omitted.push(seq);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const ranges = toRanges(omitted);
  const byKind: OmittedKind[] = [...kinds.entries()].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
  return {
    count: omitted.length,
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

function kindOf(state: LedgerState, entry: LedgerEntry): string {
  const seq = entry.sequence;
  if (entry.type === 'todo') return state.stateChanges.has(seq) ? 'todo update' : state.todos.get(seq)?.state === 'open' ? 'open todo' : 'closed todo';
  if (entry.type === 'decision') return state.decisions.get(seq)?.state === 'in_force' ? 'decision in force' : 'superseded decision';
  if (entry.type === 'error') return state.stateChanges.has(seq) ? 'error resolution' : state.errors.get(seq)?.state === 'unresolved' ? 'unresolved error' : 'resolved error';
  return entry.type;
}

export function toRanges(sequences: number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const seq of sequences) {
    const last = ranges.at(-1);
    if (last && seq === last[1] + 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges;
}

function pointers(sessionKey: string) {
  const base = `handoff://sessions/${encodeURIComponent(sessionKey)}`;
  return {
    session: base,
    context: `${base}/context`,
    summary: `${base}/summary`,
    howToRead: `Read any of them with get_context (sessionKey, afterSequence, limit, types) or ${base}/context?afterSequence=N&limit=M.`,
  };
}
