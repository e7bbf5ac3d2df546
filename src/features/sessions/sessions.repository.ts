import { Injectable } from '@nestjs/common';

import type { Prisma, Session as SessionRow } from 'src/platform/database/generated/client.js';
import { isUniqueViolation } from 'src/platform/database/pg-errors.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import type { NewSession, SessionCursor, SessionEventRecord, SessionRecord, SessionStatus } from 'src/features/sessions/sessions.types.js';

@Injectable()
export class SessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  // Returns null when the key is already taken in the namespace.
  async create(session: NewSession): Promise<SessionRecord | null> {
    try {
      const row = await this.prisma.session.create({
        data: {
          namespace: session.namespace,
          sessionKey: session.sessionKey,
          agentId: session.agentId,
          title: session.title ?? null,
          repoRoot: session.repository.root ?? null,
          repoRemote: session.repository.remote ?? null,
          repoBranch: session.repository.branch ?? null,
          repoCommit: session.repository.commit ?? null,
          repoDirtyFiles: session.repository.dirtyFiles ?? [],
          metadata: session.metadata as Prisma.InputJsonObject,
          tags: session.tags,
          createdAt: session.createdAt,
          lastActivityAt: session.createdAt,
          expiresAt: session.expiresAt,
          ttlSeconds: session.ttlSeconds,
          maxExpiresAt: session.maxExpiresAt,
          events: { create: { fromStatus: null, toStatus: 'active', reason: 'registered', at: session.createdAt } },
        },
      });
      return toSessionRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async findByKey(namespace: string, sessionKey: string): Promise<SessionRecord | null> {
    const row = await this.prisma.session.findUnique({ where: { namespace_sessionKey: { namespace, sessionKey } }, omit: OMIT_SUMMARY });
    return row ? toSessionRecord(row) : null;
  }

  async findSummary(sessionId: string): Promise<Record<string, unknown> | null> {
    const row = await this.prisma.session.findUnique({ where: { id: sessionId }, select: { summary: true } });
    return (row?.summary ?? null) as Record<string, unknown> | null;
  }

  async findEvents(sessionId: string): Promise<SessionEventRecord[]> {
    const rows = await this.prisma.sessionEvent.findMany({ where: { sessionId }, orderBy: { id: 'asc' } });
    return rows.map((row) => ({ fromStatus: row.fromStatus, toStatus: row.toStatus, reason: row.reason, at: row.at }));
  }

  // Newest activity first; `after` continues a previous page.
  async listPage(namespace: string, filter: { status?: SessionStatus; agentId?: string }, limit: number, after?: SessionCursor): Promise<SessionRecord[]> {
    const rows = await this.prisma.session.findMany({
      where: {
        namespace,
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.agentId ? { agentId: filter.agentId } : {}),
        ...(after
          ? { OR: [{ lastActivityAt: { lt: after.lastActivityAt } }, { lastActivityAt: after.lastActivityAt, id: { lt: after.id } }] }
          : {}),
      },
      orderBy: [{ lastActivityAt: 'desc' }, { id: 'desc' }],
      take: limit,
      omit: OMIT_SUMMARY,
    });
    return rows.map(toSessionRecord);
  }

  async findKeysByPrefix(namespace: string, prefix: string, limit: number): Promise<string[]> {
    const rows = await this.prisma.session.findMany({
      where: { namespace, sessionKey: { startsWith: prefix } },
      select: { sessionKey: true },
      orderBy: { sessionKey: 'asc' },
      take: limit,
    });
    return rows.map((row) => row.sessionKey);
  }
}

// The archive summary can be large and is read only with the session's detail.
const OMIT_SUMMARY = { summary: true } as const;

function toSessionRecord(row: Omit<SessionRow, 'summary'>): SessionRecord {
  return {
    id: row.id,
    namespace: row.namespace,
    sessionKey: row.sessionKey,
    agentId: row.agentId,
    title: row.title,
    status: row.status,
    repository: {
      ...(row.repoRoot !== null ? { root: row.repoRoot } : {}),
      ...(row.repoRemote !== null ? { remote: row.repoRemote } : {}),
      ...(row.repoBranch !== null ? { branch: row.repoBranch } : {}),
      ...(row.repoCommit !== null ? { commit: row.repoCommit } : {}),
      ...(row.repoDirtyFiles.length > 0 ? { dirtyFiles: row.repoDirtyFiles } : {}),
    },
    metadata: (row.metadata ?? {}) as Record<string, unknown>,
    lastSequence: row.lastSequence,
    createdAt: row.createdAt,
    lastActivityAt: row.lastActivityAt,
    expiresAt: row.expiresAt,
    archivedAt: row.archivedAt,
    handedOffAgentIds: row.handedOffAgentIds,
    tags: row.tags,
    legalHold: row.legalHold,
  };
}
