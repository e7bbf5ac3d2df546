import { Injectable } from '@nestjs/common';

import { countTextTokens, TOKENIZER_NAME, truncateToTokens } from 'src/platform/tokens/token-counter.js';
import type { CodebaseHighlight, HandoffPackage, PackageError, QuotedEntry } from 'src/features/handoffs/handoffs.types.js';
import type { LedgerEntry, LedgerState } from 'src/features/context/context.types.js';
import { decisionsInForce, openTodos, unresolvedErrors } from 'src/features/context/ledger-state.reducer.js';
import { itemSpecs, mustInReach, planContents, type Section } from 'src/features/handoffs/package-candidates.js';
import { fitEstimate, fitExactly, SECTION_OVERHEAD, type Fit } from 'src/features/handoffs/package-fit.js';
import { highlightShown, quoteEntry, toItem, type Item } from 'src/features/handoffs/package-items.js';
import { omissions } from 'src/features/handoffs/package-omissions.js';
import type { BriefInput } from 'src/features/handoffs/package.types.js';
import { DATA_NOTICE, fileLines, renderPackageMarkdown, type PackageBody } from 'src/features/handoffs/package.renderer.js';

// Builds the deterministic package in four steps, each in its own unit:
// candidates from the ledger's current state (package-candidates), items
// with their costs (package-items), the fit to the budget (package-fit) and
// what was left out (package-omissions); then the JSON body here, and its
// Markdown (package.renderer). Every open todo, decision in force and the
// latest unresolved error come first (shortened together when space is
// short), then the rest by kind, state and recency while the budget lasts.
// The Markdown is counted with the entries' tokenizer and never exceeds the
// budget.
@Injectable()
export class HandoffPackageBuilder {
  // Entries whose content the package may quote, most important first.
  plan(state: LedgerState, entries: ReadonlyMap<number, LedgerEntry>, tokenBudget: number): number[] {
    return planContents(state, entries, tokenBudget);
  }

  build(input: BriefInput): HandoffPackage {
    const { state, tokenBudget } = input;
    const specs = itemSpecs(state, input.texts.highlights.length);
    const filesByRecency = recentFiles(state);

    // The frame: everything but the items, with room for a fragmented list
    // of omitted ranges.
    const rangesShown = tokenBudget < 1500 ? 6 : tokenBudget < 5000 ? 12 : 24;
    const frame = countTextTokens(renderPackageMarkdown(this.body(input, { chosen: [], fileCount: 0 }, rangesShown, true), rangesShown)) + rangesShown * 7;
    const estimate = fitEstimate({
      must: mustInReach(specs, tokenBudget).map((spec) => toItem(spec, input)),
      // Optional items are measured only when their turn comes.
      optional: specs.filter((spec) => !spec.must).sort((a, b) => b.priority - a.priority),
      toItem: (spec) => toItem(spec, input),
      available: tokenBudget - frame,
      fileTotal: filesByRecency.length,
      filesCost: (n) => (n > 0 ? countTextTokens(fileLines(filesByRecency.slice(0, n).map((f) => this.path(input, f.path)), filesByRecency.length).join('\n')) + SECTION_OVERHEAD : 0),
    });
    const fitted = fitExactly(estimate, rangesShown, tokenBudget, (fit, shown) => {
      const body = this.body(input, fit, shown, false);
      const markdown = renderPackageMarkdown(body, shown);
      const tokens = countTextTokens(markdown);
      return { tokens, value: { ...body, budget: { ...body.budget, packageTokens: tokens }, markdown } };
    });
    return fitted ?? minimalPackage(this.body(input, { chosen: [], fileCount: 0 }, 1, false), tokenBudget);
  }

  private body(input: BriefInput, fit: Fit, rangesShown: number, frame: boolean): PackageBody {
    const { session, state, texts, envelope } = input;
    const { chosen } = fit;
    const shown = new Map(chosen.map((i) => [`${i.section}:${i.sequence}`, i]));
    const quote = (item: Item): QuotedEntry => quoteEntry(item, input);
    const pick = (section: Section) => chosen.filter((i) => i.section === section).sort((a, b) => a.sequence - b.sequence);

    const files = recentFiles(state).slice(0, fit.fileCount);
    const errors: PackageError[] = pick('errors').map((e) => {
      const attempts = state.errors.get(e.sequence) ?? [];
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
    const last = state.lastEntry;
    const counts = {
      entries: state.entryCount,
      openTodos: openTodos(state).length,
      decisionsInForce: decisionsInForce(state).length,
      unresolvedErrors: unresolvedErrors(state).length,
      filesTouched: state.files.size,
    };
    const summary =
      `${counts.openTodos} open todos · ${counts.decisionsInForce} decisions in force · ${counts.unresolvedErrors} unresolved errors · ${counts.filesTouched} files touched` +
      (last ? ` · last entry #${state.lastSequence} (${last.type}) at ${last.createdAt.toISOString().slice(0, 16)}Z` : ' · no entries yet');
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
      files: files.map((f) => ({ path: this.path(input, f.path), lastSequence: f.lastSequence, changes: f.changes })),
      errors,
      codebaseHighlights: pick('highlights').map((h) => highlightShown(texts.highlights[h.sequence] as CodebaseHighlight)),
      repository: texts.repository,
      instructions: texts.instructions,
      omitted: omissions(state, input.entries, included, state.files.size - files.length, rangesShown, frame),
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

// Touched files, the most recently touched first.
function recentFiles(state: LedgerState) {
  return [...state.files.values()].sort((a, b) => b.lastSequence - a.lastSequence);
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

function pointers(sessionKey: string) {
  const base = `handoff://sessions/${encodeURIComponent(sessionKey)}`;
  return {
    session: base,
    context: `${base}/context`,
    summary: `${base}/summary`,
    howToRead: `Read any of them with get_context (sessionKey, afterSequence, limit, types) or ${base}/context?afterSequence=N&limit=M.`,
  };
}
