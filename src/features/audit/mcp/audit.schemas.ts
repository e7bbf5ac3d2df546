import { z } from 'zod';

import { AUDIT_OUTCOMES, type AuditEvent, type AuditPage } from 'src/features/audit/audit.types.js';

export const AUDIT_URI = 'handoff://audit';

export const AuditEventViewSchema = z.object({
  id: z.string(),
  at: z.string(),
  namespace: z.string().nullable().describe('Namespace the event concerns; null for events outside any namespace'),
  action: z.string().describe('What happened, e.g. handoff.accepted, legal_hold.set, lifecycle.sweep_run, jobs.retried'),
  outcome: z.enum(AUDIT_OUTCOMES),
  credentialId: z.string().nullable().describe('Credential behind the action: local, oauth:<subject>, key:<id>, or system for Baton\'s own jobs'),
  agentId: z.string().nullable().describe('Agent the credential acted as, when the action names one'),
  target: z.string().nullable().describe('What it was done to: a handoff id, a session key, a job id'),
  source: z.string().nullable().describe('Where from: the client address over HTTP, stdio, or job'),
  detail: z.record(z.string(), z.unknown()).nullable().describe('Short facts about the event'),
});

export const AuditPageSchema = z.object({
  events: z.array(AuditEventViewSchema).describe('Newest first'),
  nextCursor: z.string().nullable().describe('Pass as cursor for older events; null on the last page'),
});

export type AuditEventView = z.input<typeof AuditEventViewSchema>;

export function toAuditEventView(event: AuditEvent): AuditEventView {
  return { ...event, at: event.at.toISOString() };
}

export function toAuditPageView(page: AuditPage): z.input<typeof AuditPageSchema> {
  return { events: page.events.map(toAuditEventView), nextCursor: page.nextCursor };
}
