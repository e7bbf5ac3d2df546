import { comparePaths } from 'src/features/codebase/analysis/paths.js';
import { symbolsOf } from 'src/features/codebase/analysis/symbols.js';
import type { FileRecord, RankedSymbol } from 'src/features/codebase/codebase.types.js';
import { countTextTokens } from 'src/platform/tokens/token-counter.js';

const SYMBOLS_PER_FILE = 15;
const MEMBERS_PER_CLASS = 8;

export interface RenderedMap {
  text: string;
  tokens: number;
  files: number;
}

export function byRank(records: FileRecord[]): FileRecord[] {
  return records.filter((r) => r.facts).sort((a, b) => b.rank - a.rank || comparePaths(a.path, b.path));
}

// The repository map: the given files in order (usually byRank), each with
// its symbols (signatures, classes with their methods), cut at whole files to
// fit the token budget. Blocks are counted one at a time, so the cost
// follows the budget, not the size of the codebase.
export function renderMap(ordered: FileRecord[], topSymbols: RankedSymbol[], tokenBudget: number, label: (record: FileRecord) => string = () => ''): RenderedMap {
  const order = new Map(topSymbols.map((s, i) => [`${s.path}#${s.name}`, i]));
  const blocks: string[] = [];
  let tokens = 0;
  for (const record of ordered) {
    const block = renderFile(record, order, label(record));
    const cost = countTextTokens(`${block}\n`);
    if (tokens + cost > tokenBudget) break;
    blocks.push(block);
    tokens += cost;
  }
  return { text: blocks.join('\n'), tokens, files: blocks.length };
}

function renderFile(record: FileRecord, order: Map<string, number>, label: string): string {
  const facts = record.facts;
  if (!facts) return record.path;
  const rankOf = (name: string): number => order.get(`${record.path}#${name}`) ?? Number.MAX_SAFE_INTEGER;
  const symbols = symbolsOf(facts).sort((a, b) => rankOf(a.name) - rankOf(b.name) || Number(b.exported) - Number(a.exported) || a.line - b.line);
  const lines = [`${record.path} (${facts.lines} lines${label ? `, ${label}` : ''})`];
  for (const symbol of symbols.slice(0, SYMBOLS_PER_FILE)) {
    lines.push(`  ${symbol.exported ? '' : '(local) '}${symbol.text}`);
    for (const member of symbol.members.slice(0, MEMBERS_PER_CLASS)) lines.push(`    ${member}`);
    if (symbol.members.length > MEMBERS_PER_CLASS) lines.push(`    … ${symbol.members.length - MEMBERS_PER_CLASS} more methods`);
  }
  if (symbols.length > SYMBOLS_PER_FILE) lines.push(`  … ${symbols.length - SYMBOLS_PER_FILE} more symbols`);
  return lines.join('\n');
}
