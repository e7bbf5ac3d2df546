import type { CodebaseHighlight, HandoffEnvelope } from 'src/features/handoffs/handoffs.types.js';
import type { LedgerEntry, LedgerState } from 'src/features/context/context.types.js';
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
  // The outlines of the entries the package may show (at least those).
  entries: ReadonlyMap<number, LedgerEntry>;
  texts: BriefTexts;
  envelope: HandoffEnvelope | null;
  tokenBudget: number;
  redactions: { count: number; kinds: Record<string, number> };
}
