import type { RepositoryAnchor, SessionStatus } from 'src/features/sessions/sessions.types.js';

export const HANDOFF_TYPES = ['context_transfer', 'full_handoff'] as const;
export type HandoffType = (typeof HANDOFF_TYPES)[number];

// pending -> accepted -> completed, or pending -> rejected | expired.
export const HANDOFF_STATUSES = ['pending', 'accepted', 'rejected', 'completed', 'expired'] as const;
export type HandoffStatus = (typeof HANDOFF_STATUSES)[number];

export const MIN_TOKEN_BUDGET = 256;

// A piece of an entry in a package: always quoted data, never instructions.
export interface QuotedEntry {
  sequence: number;
  type: string;
  at: string;
  quoted: string;
  truncated: boolean;
  files?: string[];
  status?: string;
  supersedes?: number[];
}

export interface PackageError {
  error: QuotedEntry;
  tried: QuotedEntry[];
  // Attempts not shown for lack of budget.
  triedOmitted: number;
}

export interface CodebaseHighlight {
  path: string;
  summary: string;
  score?: number;
}

export interface OmittedKind {
  kind: string;
  count: number;
}

export interface PackageOmissions {
  count: number;
  // Sequence ranges [from, to] of every entry not shown, capped in number;
  // moreRanges says how many were left out of the list.
  ranges: [number, number][];
  moreRanges: number;
  byKind: OmittedKind[];
  // Items the budget pushed out although their state made them current.
  currentItemsLeftOut: { openTodos: number[]; decisionsInForce: number[]; unresolvedErrors: number[]; files: number };
}

export interface PackagePointers {
  session: string;
  context: string;
  summary: string;
  howToRead: string;
}

export interface HandoffEnvelope {
  type: HandoffType;
  fromAgentId: string;
  targetAgentId: string;
  instructions: string | null;
}

// What became of the optional model condensation of a package.
export interface PackageCondensation {
  // condensed: the Markdown was rewritten by the model within the budget;
  // fallback: the model could not be used, the deterministic brief stands.
  outcome: 'condensed' | 'fallback';
  provider: string;
  model: string | null;
  usage: { inputTokens: number; outputTokens: number } | null;
  // Why it fell back: disabled, timeout, circuit_open, failed, over_budget, empty.
  reason: string | null;
}

export interface HandoffPackage {
  format: 'baton.handoff-package/1';
  mode: 'deterministic' | 'condensed';
  notice: string;
  session: {
    sessionKey: string;
    title: string | null;
    ownerAgentId: string;
    status: SessionStatus;
    readOnly: boolean;
    lastSequence: number;
    createdAt: string;
    lastActivityAt: string;
    expiresAt: string;
  };
  handoff: HandoffEnvelope | null;
  goal: { text: string; source: 'entry' | 'title' | 'none'; entry: QuotedEntry | null };
  state: {
    summary: string;
    counts: { entries: number; openTodos: number; decisionsInForce: number; unresolvedErrors: number; filesTouched: number };
    latestStatus: QuotedEntry | null;
  };
  openTodos: QuotedEntry[];
  decisions: QuotedEntry[];
  codeChanges: QuotedEntry[];
  files: { path: string; lastSequence: number; changes: number }[];
  errors: PackageError[];
  messages: QuotedEntry[];
  codebaseHighlights: CodebaseHighlight[];
  repository: RepositoryAnchor;
  instructions: string | null;
  omitted: PackageOmissions;
  pointers: PackagePointers;
  budget: { tokenBudget: number; packageTokens: number; tokenizer: string };
  redactions: { count: number; kinds: Record<string, number> };
  builtThroughSequence: number;
  // null when no model is configured.
  condensation: PackageCondensation | null;
  markdown: string;
}

export interface HandoffEventRecord {
  fromStatus: HandoffStatus | null;
  toStatus: HandoffStatus;
  agentId: string | null;
  note: string | null;
  at: Date;
}

export interface HandoffRecord {
  id: string;
  namespace: string;
  sessionId: string;
  sessionKey: string;
  type: HandoffType;
  status: HandoffStatus;
  fromAgentId: string;
  targetAgentId: string;
  instructions: string | null;
  tokenBudget: number;
  packageTokens: number;
  throughSequence: number;
  touchedFiles: string[];
  createdAt: Date;
  expiresAt: Date;
  updatedAt: Date;
}

export interface HandoffWithPackage extends HandoffRecord {
  package: HandoffPackage;
}

export interface NewHandoff {
  namespace: string;
  sessionId: string;
  sessionKey: string;
  type: HandoffType;
  fromAgentId: string;
  targetAgentId: string;
  instructions: string | null;
  tokenBudget: number;
  packageTokens: number;
  package: HandoffPackage;
  throughSequence: number;
  touchedFiles: string[];
  at: Date;
  expiresAt: Date;
}

export interface RequestHandoffInput {
  sessionKey: string;
  targetAgent: string;
  type: HandoffType;
  instructions?: string;
  tokenBudget?: number;
}

export interface TargetRepository {
  commit?: string;
  branch?: string;
  dirtyFiles?: string[];
}

export interface StalenessReport {
  checked: boolean;
  stale: boolean;
  anchor: { branch: string | null; commit: string | null };
  target: { branch: string | null; commit: string | null };
  branchMatches: boolean | null;
  commitMatches: boolean | null;
  // Files the session touched; to be re-read before trusting the package.
  touchedFiles: string[];
  // Touched files that also have uncommitted changes in the target's checkout.
  dirtyTouchedFiles: string[];
  ledger: { packageThroughSequence: number; sessionLastSequence: number; newerEntries: number; newerEntriesUri: string | null };
  message: string;
}

export interface HandoffListQuery {
  agentId: string;
  status?: HandoffStatus;
  limit?: number;
  cursor?: string;
}

export interface HandoffCursor {
  createdAt: Date;
  id: string;
}

export interface HandoffPage {
  handoffs: HandoffRecord[];
  nextCursor: string | null;
}

export interface HandoffDetail {
  handoff: HandoffWithPackage;
  events: HandoffEventRecord[];
}

export interface TransitionRequest {
  handoffId: string;
  agentId: string | null;
  from: HandoffStatus;
  to: HandoffStatus;
  note: string | null;
  at: Date;
}
