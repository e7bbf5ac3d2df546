import { randomBytes } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import { TAG_PATTERN, type BatonConfig } from 'src/config/config.schema.js';
import { resolveLifecyclePolicy } from 'src/config/lifecycle-policy.js';
import { Clock } from 'src/platform/clock/clock.js';
import { EventBusService } from 'src/platform/events/event-bus.service.js';
import { decodeKeysetCursor, encodeKeysetCursor } from 'src/platform/pagination/keyset-cursor.js';
import { SessionError, SessionErrorCode } from 'src/features/sessions/sessions.errors.js';
import { SessionsRepository } from 'src/features/sessions/sessions.repository.js';
import {
  MAX_TAGS,
  SESSION_KEY_PATTERN,
  WRITABLE_STATUSES,
  type RegisterSessionInput,
  type SessionCursor,
  type SessionDetail,
  type SessionListQuery,
  type SessionPage,
  type SessionRecord,
} from 'src/features/sessions/sessions.types.js';

// Domain events about sessions. Status changes come from the lifecycle and
// from appends that reactivate a dormant session.
export const SESSION_EVENTS = { created: 'session.created', statusChanged: 'session.status_changed', legalHoldChanged: 'session.legal_hold_changed' } as const;

@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly events: EventBusService,
    private readonly clock: Clock,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  async register(namespace: string, input: RegisterSessionInput): Promise<SessionRecord> {
    const sessionKey = input.sessionKey ?? generateSessionKey();
    if (!SESSION_KEY_PATTERN.test(sessionKey)) {
      throw new SessionError(SessionErrorCode.InvalidArgument, `sessionKey "${sessionKey}" is not valid: use 1-128 characters of A-Z a-z 0-9 . _ : -, or leave it out to get a generated key.`);
    }
    const tags = normaliseTags(input.tags ?? []);
    const policy = resolveLifecyclePolicy(this.config, { namespace, tags });
    const ttlSeconds = input.ttlSeconds ?? policy.ttlSeconds;
    if (ttlSeconds > this.config.sessions.maxTtlSeconds) {
      throw new SessionError(SessionErrorCode.InvalidArgument, `ttlSeconds ${ttlSeconds} is above the maximum of ${this.config.sessions.maxTtlSeconds}; ask for less or leave it out for the default of ${policy.ttlSeconds}.`);
    }
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    const session = await this.sessions.create({
      namespace,
      sessionKey,
      agentId: input.agentId,
      title: input.title,
      repository: input.repository ?? {},
      metadata: input.metadata ?? {},
      tags,
      createdAt: now,
      expiresAt,
      ttlSeconds,
      // A caller's own ttlSeconds may reach past the policy's lifetime; activity never shortens it.
      maxExpiresAt: new Date(Math.max(expiresAt.getTime(), now.getTime() + policy.maxLifetimeSeconds * 1000)),
    });
    if (!session) {
      throw new SessionError(SessionErrorCode.SessionExists, `Session "${sessionKey}" already exists in this namespace. Append to it with update_context, or register with another key (or none, to get a generated one).`, { sessionKey });
    }
    this.logger.log({ sessionKey, agentId: session.agentId }, 'session registered');
    this.events.publish({ namespace, type: SESSION_EVENTS.created, subject: { sessionKey } });
    return session;
  }

  async get(namespace: string, sessionKey: string): Promise<SessionRecord> {
    const session = await this.sessions.findByKey(namespace, sessionKey);
    if (!session) throw SessionError.notFound(sessionKey);
    return session;
  }

  // A session whose entries can still be read: anything but purged.
  async getReadable(namespace: string, sessionKey: string): Promise<SessionRecord> {
    const session = await this.get(namespace, sessionKey);
    if (session.status === 'purged') throw SessionError.purged(sessionKey, session.archivedAt);
    return session;
  }

  async getDetail(namespace: string, sessionKey: string): Promise<SessionDetail> {
    const session = await this.get(namespace, sessionKey);
    const [events, summary] = await Promise.all([this.sessions.findEvents(session.id), this.sessions.findSummary(session.id)]);
    return { session, events, summary };
  }

  // Why a write to this session (by this agent, when known) cannot happen,
  // or null when it can. A session past its expiresAt is read-only even
  // before the lifecycle marks it expired.
  explainUnwritable(session: SessionRecord | null, sessionKey: string, agentId?: string | null): SessionError | null {
    if (!session) return SessionError.notFound(sessionKey);
    if (session.status === 'purged') return SessionError.purged(sessionKey, session.archivedAt);
    if (!WRITABLE_STATUSES.includes(session.status)) return SessionError.readOnly(sessionKey, session.status);
    if (session.expiresAt.getTime() <= this.clock.now().getTime()) return SessionError.readOnly(sessionKey, 'expired');
    if (agentId && agentId !== session.agentId && session.handedOffAgentIds.includes(agentId)) return SessionError.handedOff(sessionKey, agentId, session.agentId);
    return null;
  }

  async findByKey(namespace: string, sessionKey: string): Promise<SessionRecord | null> {
    return this.sessions.findByKey(namespace, sessionKey);
  }

  async list(namespace: string, query: SessionListQuery): Promise<SessionPage> {
    const limit = this.pageSize(query.limit);
    const after = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    const rows = await this.sessions.listPage(namespace, { status: query.status, agentId: query.agentId }, limit + 1, after);
    const sessions = rows.slice(0, limit);
    const last = sessions.at(-1);
    return { sessions, nextCursor: rows.length > limit && last ? encodeKeysetCursor({ at: last.lastActivityAt, id: last.id }) : null };
  }

  async completeKeys(namespace: string, prefix: string): Promise<string[]> {
    return this.sessions.findKeysByPrefix(namespace, prefix, 100);
  }

  pageSize(requested: number | undefined): number {
    const { defaultPageSize, maxPageSize } = this.config.limits;
    if (requested === undefined) return defaultPageSize;
    if (!Number.isInteger(requested) || requested < 1 || requested > maxPageSize) {
      throw new SessionError(SessionErrorCode.InvalidArgument, `limit ${requested} is out of range: ask for 1 to ${maxPageSize}.`);
    }
    return requested;
  }
}

function normaliseTags(tags: string[]): string[] {
  const unique = [...new Set(tags)];
  const bad = unique.find((tag) => !TAG_PATTERN.test(tag));
  if (bad !== undefined) {
    throw new SessionError(SessionErrorCode.InvalidArgument, `tag "${bad}" is not valid: use 1-64 characters of A-Z a-z 0-9 . _ : - per tag.`);
  }
  if (unique.length > MAX_TAGS) {
    throw new SessionError(SessionErrorCode.InvalidArgument, `${unique.length} tags is too many: a session takes at most ${MAX_TAGS}.`);
  }
  return unique;
}

function generateSessionKey(): string {
  return `s-${randomBytes(12).toString('base64url')}`;
}

function decodeCursor(cursor: string): SessionCursor {
  const position = decodeKeysetCursor(cursor);
  if (!position) throw new SessionError(SessionErrorCode.InvalidArgument, 'cursor is not one Baton issued: pass the nextCursor of a previous list_sessions result, or leave it out for the first page.');
  return { lastActivityAt: position.at, id: position.id };
}
