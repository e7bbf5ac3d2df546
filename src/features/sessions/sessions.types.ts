export const SESSION_STATUSES = ['active', 'dormant', 'expired', 'archived', 'purged'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

// Statuses in which a session accepts writes; the others are read-only.
export const WRITABLE_STATUSES: readonly SessionStatus[] = ['active', 'dormant'];

export const SESSION_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const MAX_TAGS = 32;

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
  tags: string[];
  legalHold: boolean;
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
  tags: string[];
  createdAt: Date;
  expiresAt: Date;
  // How far activity pushes expiresAt, and the latest it may reach.
  ttlSeconds: number;
  maxExpiresAt: Date;
}

export interface RegisterSessionInput {
  sessionKey?: string;
  agentId: string;
  title?: string;
  repository?: RepositoryAnchor;
  metadata?: Record<string, unknown>;
  tags?: string[];
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
  // Precomputed when the session was archived; null before.
  summary: Record<string, unknown> | null;
}
