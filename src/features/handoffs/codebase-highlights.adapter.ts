import type { CodebaseService } from 'src/features/codebase/codebase.service.js';
import type { HighlightFile } from 'src/features/codebase/codebase.types.js';
import type { CodebaseHighlightsProvider } from 'src/features/handoffs/codebase-highlights.provider.js';
import type { CodebaseHighlight } from 'src/features/handoffs/handoffs.types.js';

// Token budget of the analysis text behind the highlights; the package
// builder fits what it shows to its own budget.
const HIGHLIGHTS_TOKENS = 1_500;

// Package highlights from the session's latest codebase analysis: the files
// the session touched, then the files that import them, each with its rank,
// size, main symbols and place in import cycles.
export function codebaseHighlightsFrom(codebase: CodebaseService): CodebaseHighlightsProvider {
  return {
    async highlightsFor(query) {
      const highlights = await codebase.highlights(query.namespace, query.sessionKey, query.files, HIGHLIGHTS_TOKENS);
      if (!highlights) return [];
      const inCycle = new Set(highlights.cycles.flat());
      return highlights.files.slice(0, query.limit).map((file) => toHighlight(file, inCycle.has(file.path)));
    },
  };
}

function toHighlight(file: HighlightFile, inCycle: boolean): CodebaseHighlight {
  const role = file.reason === 'touched' ? 'touched by the session' : file.reason === 'dependent' ? `imports ${file.imports.join(', ')}` : 'central to the codebase';
  const parts = [role, `${file.lines} lines`];
  if (file.symbols.length > 0) parts.push(`defines ${file.symbols.slice(0, 6).join(', ')}${file.symbols.length > 6 ? ', ...' : ''}`);
  if (inCycle) parts.push('in an import cycle');
  return { path: file.path, summary: parts.join('; '), score: Number(file.rank.toFixed(4)) };
}
