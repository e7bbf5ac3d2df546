import type { CodebaseHighlight } from 'src/features/handoffs/handoffs.types.js';
import type { RepositoryAnchor } from 'src/features/sessions/sessions.types.js';

// Ranked notes about the code a session touched (from a codebase analysis),
// for the package's "Codebase highlights". Optional: without a provider the
// section is empty. A feature that analyses code registers one under this
// token.
export const CODEBASE_HIGHLIGHTS_PROVIDER = Symbol('CODEBASE_HIGHLIGHTS_PROVIDER');

export interface HighlightsQuery {
  namespace: string;
  sessionKey: string;
  repository: RepositoryAnchor;
  // Touched files, most recently touched first.
  files: string[];
  limit: number;
}

export interface CodebaseHighlightsProvider {
  highlightsFor(query: HighlightsQuery): Promise<CodebaseHighlight[]>;
}
