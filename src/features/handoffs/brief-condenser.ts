import type { HandoffPackage } from 'src/features/handoffs/handoffs.types.js';

// An optional step after the deterministic brief: a model condensing its
// Markdown. BriefService keeps the deterministic package when the step
// throws or returns text above the budget, and says so in the package.
// Registered under this token by HandoffsModule when a model is configured.
export const BRIEF_CONDENSER = Symbol('BRIEF_CONDENSER');

export interface CondenseRequest {
  package: HandoffPackage;
  tokenBudget: number;
}

export interface CondensedBrief {
  markdown: string;
  provider: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
}

export interface BriefCondenser {
  readonly provider: string;
  readonly model: string;
  // Throws when the model cannot be used; an error's `reason` names why.
  condense(request: CondenseRequest): Promise<CondensedBrief>;
}
