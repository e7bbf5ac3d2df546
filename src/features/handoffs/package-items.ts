import { clipToTokens, countTextTokens, truncateToTokens } from 'src/platform/tokens/token-counter.js';
import type { CodebaseHighlight, QuotedEntry } from 'src/features/handoffs/handoffs.types.js';
import { CAP, type ItemSpec } from 'src/features/handoffs/package-candidates.js';
import type { BriefInput } from 'src/features/handoffs/package.types.js';
import { entryLine } from 'src/features/handoffs/package.renderer.js';

// Step 2 of a package: a candidate with its text and what it costs, so the
// fit can choose without rendering.

export interface Item extends ItemSpec {
  text: string;
  textTokens: number;
  fullCost: number;
  // Content tokens shown; below textTokens the entry is truncated.
  shown: number;
}

// Content is fetched up to this many characters: far beyond any cap, so
// nothing shown comes near the cut.
export const CONTENT_PREFIX_CHARS = 12_000;

export function toItem(spec: ItemSpec, input: BriefInput): Item {
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
  const label = spec.section === 'highlights' ? 0 : labelTokens(describe({ ...item, text: '' }, input, ''));
  item.fullCost = label + textTokens + (text.match(/\n/g)?.length ?? 0) + 1 + (text.length < raw.length ? 2 : 0);
  return item;
}

// A bare label ("#1234 ") is "#" and the digits in threes: counted without
// the tokenizer, as most items (open todos, decisions) have nothing more.
function labelTokens(entry: QuotedEntry): number {
  const bare = !entry.supersedes?.length && !entry.files?.length && !entry.status;
  return bare ? 1 + Math.ceil(String(entry.sequence).length / 3) : countTextTokens(entryLine({ ...entry, quoted: '' }));
}

// What the item costs with `shown` content tokens.
export function costAt(item: Item, shown: number): number {
  return item.fullCost - Math.max(0, item.textTokens - shown) + (shown < item.textTokens ? 3 : 0);
}

// A fit renders its items several times, mostly at the same lengths: an
// item keeps its latest quote until its length changes.
const quotes = new WeakMap<Item, { shown: number; quote: QuotedEntry }>();

export function quoteEntry(item: Item, input: BriefInput): QuotedEntry {
  const known = quotes.get(item);
  if (known?.shown === item.shown) return known.quote;
  const quote = describe(item, input, item.shown < item.textTokens ? truncateToTokens(item.text, item.shown).trimEnd() : item.text);
  quotes.set(item, { shown: item.shown, quote });
  return quote;
}

function describe(item: Item, input: BriefInput, quoted: string): QuotedEntry {
  const entry = input.entries.get(item.sequence);
  const metadata = entry?.metadata ?? {};
  const raw = input.texts.contents.get(item.sequence) ?? '';
  const files = Array.isArray(metadata.files) ? metadata.files.filter((f): f is string => typeof f === 'string').map((f) => input.texts.paths.get(f.trim().replace(/^\.\//, '')) ?? f) : [];
  const supersedes = input.state.decisions.get(item.sequence) ?? [];
  return {
    sequence: item.sequence,
    type: entry?.type ?? 'unknown',
    at: entry?.createdAt.toISOString() ?? '',
    quoted,
    truncated: item.shown < item.textTokens || item.text.length < raw.length,
    ...(files.length > 0 && (item.section === 'changes' || item.section === 'tried') ? { files } : {}),
    ...(typeof metadata.status === 'string' && item.section === 'tried' ? { status: metadata.status } : {}),
    ...(item.section === 'decisions' && supersedes.length > 0 ? { supersedes } : {}),
  };
}

function highlightText(h: CodebaseHighlight | undefined): string {
  return h ? `${h.path}: ${highlightShown(h).summary}` : '';
}

export function highlightShown(h: CodebaseHighlight): CodebaseHighlight {
  return { ...h, summary: truncateToTokens(h.summary, CAP.highlight) };
}
