import type { KeysetPosition } from 'src/platform/pagination/keyset-cursor.js';

export const AUDIT_OUTCOMES = ['success', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

// One event of the audit trail, as callers read it.
export interface AuditEvent {
  id: string;
  at: Date;
  // Null for events that concern no namespace (seen by admins only).
  namespace: string | null;
  action: string;
  outcome: AuditOutcome;
  credentialId: string | null;
  agentId: string | null;
  target: string | null;
  source: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  // Another namespace than the caller's (admins only).
  namespace?: string;
  // An action (`handoff.accepted`), or a prefix ending in `*` (`handoff.*`).
  action?: string;
  // Only events at or after this instant (ISO 8601).
  since?: string;
  cursor?: string;
  limit?: number;
}

// Which rows a page reads: one namespace, or every one (admins).
export interface AuditFilter {
  namespace: string | 'all';
  action?: { exact: string } | { prefix: string };
  since?: Date;
  after?: KeysetPosition;
}

export interface AuditPage {
  events: AuditEvent[];
  nextCursor: string | null;
}
