import type { HandoffPackage } from 'src/features/handoffs/handoffs.types.js';

// An optional step after the deterministic brief (e.g. an LLM condensing it).
// It receives the deterministic package and may return another one; Baton
// keeps the deterministic package when the step returns null, throws, or
// returns a package above the budget. Registered under this token by the
// feature that provides it, which also decides when it is on.
export const BRIEF_CONDENSER = Symbol('BRIEF_CONDENSER');

export interface CondenseRequest {
  package: HandoffPackage;
  tokenBudget: number;
}

export interface BriefCondenser {
  condense(request: CondenseRequest): Promise<HandoffPackage | null>;
}
