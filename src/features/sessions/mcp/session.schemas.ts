import { z } from 'zod';

import { TAG_PATTERN } from 'src/config/config.schema.js';
import { MAX_TAGS, SESSION_KEY_PATTERN, SESSION_STATUSES, type SessionDetail, type SessionEventRecord, type SessionRecord } from 'src/features/sessions/sessions.types.js';

export const SessionKeySchema = z.string().regex(SESSION_KEY_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -');
export const TagsSchema = z.array(z.string().regex(TAG_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -')).max(MAX_TAGS);

export const RepositoryAnchorSchema = z
  .object({
    root: z.string().max(4096).optional().describe('Absolute path of the working tree on the agent\'s machine'),
    remote: z.string().max(2048).optional().describe('Remote URL, e.g. git@github.com:org/repo.git'),
    branch: z.string().max(512).optional().describe('Checked-out branch'),
    commit: z.string().regex(/^[0-9a-f]{7,64}$/i, 'must be a hex commit id').optional().describe('HEAD commit id'),
    dirtyFiles: z.array(z.string().max(4096)).max(10_000).optional().describe('Paths with uncommitted changes, relative to root'),
  })
  .strict();

export const SessionViewSchema = z.object({
  sessionKey: z.string(),
  agentId: z.string(),
  title: z.string().nullable(),
  status: z.enum(SESSION_STATUSES),
  repository: RepositoryAnchorSchema,
  metadata: z.record(z.string(), z.unknown()),
  lastSequence: z.number().int(),
  createdAt: z.string(),
  lastActivityAt: z.string(),
  expiresAt: z.string(),
  archivedAt: z.string().nullable(),
  tags: z.array(z.string()),
  legalHold: z.boolean().describe('True while the session is under legal hold: it is never purged'),
});
export type SessionView = z.infer<typeof SessionViewSchema>;

export function toSessionView(session: SessionRecord): SessionView {
  return {
    sessionKey: session.sessionKey,
    agentId: session.agentId,
    title: session.title,
    status: session.status,
    repository: session.repository,
    metadata: session.metadata,
    lastSequence: session.lastSequence,
    createdAt: session.createdAt.toISOString(),
    lastActivityAt: session.lastActivityAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    archivedAt: session.archivedAt?.toISOString() ?? null,
    tags: session.tags,
    legalHold: session.legalHold,
  };
}

export function toEventView(event: SessionEventRecord) {
  return { from: event.fromStatus, to: event.toStatus, reason: event.reason, at: event.at.toISOString() };
}

// The body of handoff://sessions/{sessionKey} and GET /api/sessions/{key}.
export function toSessionDetailView(detail: SessionDetail) {
  return { session: toSessionView(detail.session), lifecycle: detail.events.map(toEventView), summary: detail.summary };
}

export const sessionUri = (sessionKey: string): string => `handoff://sessions/${encodeURIComponent(sessionKey)}`;
export const SESSIONS_URI = 'handoff://sessions';
