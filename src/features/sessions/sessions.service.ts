import { randomBytes } from 'node:crypto';

import { Inject, Injectable, Logger } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { Clock } from 'src/platform/clock/clock.js';
import { EventBusService } from 'src/platform/events/event-bus.service.js';
import { decodeKeysetCursor, encodeKeysetCursor } from 'src/platform/pagination/keyset-cursor.js';
import { SessionError, SessionErrorCode } from 'src/features/sessions/sessions.errors.js';
import { SessionsRepository } from 'src/features/sessions/sessions.repository.js';
import {
  SESSION_KEY_PATTERN,
  WRITABLE_STATUSES,
  type RegisterSessionInput,
  type SessionCursor,
  type SessionDetail,
  type SessionListQuery,
  type SessionPage,
  type SessionRecord,
} from 'src/features/sessions/sessions.types.js';

export const SESSION_EVENTS = { created: 'session.created' } as const;

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
    const ttlSeconds = input.ttlSeconds ?? this.config.sessions.ttlSeconds;
    if (ttlSeconds > this.config.sessions.maxTtlSeconds) {
      throw new SessionError(SessionErrorCode.InvalidArgument, `ttlSeconds ${ttlSeconds} is above the maximum of ${this.config.sessions.maxTtlSeconds}; ask for less or leave it out for the default of ${this.config.sessions.ttlSeconds}.`);
    }
    const now = this.clock.now();
    const session = await this.sessions.create({
      namespace,
      sessionKey,
      agentId: input.agentId,
      title: input.title,
      repository: input.repository ?? {},
      metadata: input.metadata ?? {},
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
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

  async getDetail(namespace: string, sessionKey: string): Promise<SessionDetail> {
    const session = await this.get(namespace, sessionKey);
    return { session, events: await this.sessions.findEvents(session.id) };
  }

  // Why a write to this session (by this agent, when known) cannot happen,
  // or null when it can.
  explainUnwritable(session: SessionRecord | null, sessionKey: string, agentId?: string | null): SessionError | null {
    if (!session) return SessionError.notFound(sessionKey);
    if (!WRITABLE_STATUSES.includes(session.status)) return SessionError.readOnly(sessionKey, session.status);
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

function generateSessionKey(): string {
  return `s-${randomBytes(12).toString('base64url')}`;
}

function decodeCursor(cursor: string): SessionCursor {
  const position = decodeKeysetCursor(cursor);
  if (!position) throw new SessionError(SessionErrorCode.InvalidArgument, 'cursor is not one Baton issued: pass the nextCursor of a previous list_sessions result, or leave it out for the first page.');
  return { lastActivityAt: position.at, id: position.id };
}
