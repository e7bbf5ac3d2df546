export const SESSION_STATUSES = ['active', 'dormant', 'expired', 'archived'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

// Statuses in which a session accepts writes; the others are read-only.
export const WRITABLE_STATUSES: readonly SessionStatus[] = ['active', 'dormant'];

export const SESSION_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RepositoryAnchor {
  root?: string;
  remote?: string;
  branch?: string;
  commit?: string;
  dirtyFiles?: string[];
}

export interface SessionRecord {
  id: string;
  namespace: string;
  sessionKey: string;
  agentId: string;
  title: string | null;
  status: SessionStatus;
  repository: RepositoryAnchor;
  metadata: Record<string, unknown>;
  lastSequence: number;
  createdAt: Date;
  lastActivityAt: Date;
  expiresAt: Date;
  archivedAt: Date | null;
  // Agents that handed the session off (accepted full handoffs), oldest first.
  handedOffAgentIds: string[];
}

export interface SessionEventRecord {
  fromStatus: SessionStatus | null;
  toStatus: SessionStatus;
  reason: string;
  at: Date;
}

export interface NewSession {
  namespace: string;
  sessionKey: string;
  agentId: string;
  title?: string;
  repository: RepositoryAnchor;
  metadata: Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date;
}

export interface RegisterSessionInput {
  sessionKey?: string;
  agentId: string;
  title?: string;
  repository?: RepositoryAnchor;
  metadata?: Record<string, unknown>;
  ttlSeconds?: number;
}

export interface SessionListQuery {
  status?: SessionStatus;
  agentId?: string;
  limit?: number;
  cursor?: string;
}

// Keyset position in a listing ordered by lastActivityAt desc, id desc.
export interface SessionCursor {
  lastActivityAt: Date;
  id: string;
}

export interface SessionPage {
  sessions: SessionRecord[];
  nextCursor: string | null;
}

export interface SessionDetail {
  session: SessionRecord;
  events: SessionEventRecord[];
}
