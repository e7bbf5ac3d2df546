import { Injectable } from '@nestjs/common';

import type { Handoff as HandoffRow } from 'src/platform/database/generated/client.js';
import { isUniqueViolation } from 'src/platform/database/pg-errors.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import type {
  HandoffCursor,
  HandoffEventRecord,
  HandoffPackage,
  HandoffRecord,
  HandoffStatus,
  HandoffWithPackage,
  NewHandoff,
  TransitionRequest,
} from 'src/features/handoffs/handoffs.types.js';

type RowWithKey = Omit<HandoffRow, 'package'> & { session: { sessionKey: string } };
const WITH_KEY = { session: { select: { sessionKey: true } } } as const;

export interface ExpiredHandoff {
  id: string;
  targetAgentId: string;
  sessionKey: string;
}

@Injectable()
export class HandoffsRepository {
  constructor(private readonly prisma: PrismaService) {}

  // Stores the handoff with its package and its first transition, in one
  // statement. Returns null when the session already has a pending full
  // handoff (the partial unique index says so).
  async create(handoff: NewHandoff): Promise<HandoffRecord | null> {
    try {
      const rows = await this.prisma.$queryRaw<{ id: string }[]>`
        WITH created AS (
          INSERT INTO handoffs (id, namespace, session_id, type, status, from_agent_id, target_agent_id, instructions, token_budget, package_tokens, package, through_sequence, touched_files, created_at, expires_at, updated_at)
          VALUES (gen_random_uuid(), ${handoff.namespace}::text, ${handoff.sessionId}::uuid, ${handoff.type}::handoff_type, 'pending', ${handoff.fromAgentId}::text, ${handoff.targetAgentId}::text,
                  ${handoff.instructions}::text, ${handoff.tokenBudget}::int, ${handoff.packageTokens}::int, ${JSON.stringify(handoff.package)}::json, ${handoff.throughSequence}::int,
                  ${handoff.touchedFiles}::text[], ${handoff.at}::timestamptz, ${handoff.expiresAt}::timestamptz, ${handoff.at}::timestamptz)
          RETURNING id
        ), logged AS (
          INSERT INTO handoff_events (handoff_id, from_status, to_status, agent_id, note, at)
          SELECT id, NULL, 'pending', ${handoff.fromAgentId}::text, 'requested', ${handoff.at}::timestamptz FROM created
        )
        SELECT id::text FROM created`;
      const id = rows[0]?.id as string;
      return {
        id,
        namespace: handoff.namespace,
        sessionId: handoff.sessionId,
        sessionKey: handoff.sessionKey,
        type: handoff.type,
        status: 'pending',
        fromAgentId: handoff.fromAgentId,
        targetAgentId: handoff.targetAgentId,
        instructions: handoff.instructions,
        tokenBudget: handoff.tokenBudget,
        packageTokens: handoff.packageTokens,
        throughSequence: handoff.throughSequence,
        touchedFiles: handoff.touchedFiles,
        createdAt: handoff.at,
        expiresAt: handoff.expiresAt,
        updatedAt: handoff.at,
      };
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async findPendingFullHandoff(sessionId: string): Promise<HandoffRecord | null> {
    const row = await this.prisma.handoff.findFirst({ where: { sessionId, type: 'full_handoff', status: 'pending' }, omit: { package: true }, include: WITH_KEY });
    return row ? toRecord(row) : null;
  }

  async findById(namespace: string, id: string): Promise<HandoffWithPackage | null> {
    const row = await this.prisma.handoff.findFirst({ where: { id, namespace }, include: WITH_KEY });
    return row ? { ...toRecord(row), package: row.package as unknown as HandoffPackage } : null;
  }

  async findEvents(handoffId: string): Promise<HandoffEventRecord[]> {
    const rows = await this.prisma.handoffEvent.findMany({ where: { handoffId }, orderBy: { id: 'asc' } });
    return rows.map((r) => ({ fromStatus: r.fromStatus, toStatus: r.toStatus, agentId: r.agentId, note: r.note, at: r.at }));
  }

  // Addressed to the agent, newest first; `after` continues a previous page.
  async listForAgent(namespace: string, targetAgentId: string, status: HandoffStatus | undefined, limit: number, after?: HandoffCursor): Promise<HandoffRecord[]> {
    const rows = await this.prisma.handoff.findMany({
      where: {
        namespace,
        targetAgentId,
        ...(status ? { status } : {}),
        ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
      omit: { package: true },
      include: WITH_KEY,
    });
    return rows.map(toRecord);
  }

  // One statement: move the handoff from one state to the next if it is
  // still there (a pending one also must not have expired), record the
  // transition, and on acceptance of a full handoff make the target the
  // session's owner, remembering the previous owner. Returns false when
  // nothing moved.
  async transition(request: TransitionRequest, transferOwnership: boolean): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      WITH moved AS (
        UPDATE handoffs h SET status = ${request.to}::handoff_status, updated_at = ${request.at}::timestamptz
        WHERE h.id = ${request.handoffId}::uuid AND h.status = ${request.from}::handoff_status
          AND (h.status <> 'pending' OR h.expires_at > ${request.at}::timestamptz)
        RETURNING h.id, h.session_id, h.type, h.target_agent_id
      ), owner AS (
        UPDATE sessions s
        SET agent_id = moved.target_agent_id,
            handed_off_agent_ids = array_append(array_remove(coalesce(s.handed_off_agent_ids, '{}'), moved.target_agent_id), s.agent_id)
        FROM moved
        WHERE ${transferOwnership}::boolean AND moved.type = 'full_handoff' AND s.id = moved.session_id AND s.agent_id <> moved.target_agent_id
        RETURNING s.id
      ), logged AS (
        INSERT INTO handoff_events (handoff_id, from_status, to_status, agent_id, note, at)
        SELECT id, ${request.from}::handoff_status, ${request.to}::handoff_status, ${request.agentId}::text, ${request.note}::text, ${request.at}::timestamptz FROM moved
      )
      SELECT id::text FROM moved`;
    return rows.length > 0;
  }

  // Pending handoffs past their expiry become expired, each with its
  // transition recorded. Safe to run any number of times, from anywhere.
  async expireDue(filter: { namespace: string; targetAgentId?: string; sessionId?: string; handoffId?: string }, at: Date, note: string): Promise<ExpiredHandoff[]> {
    return this.prisma.$queryRaw<ExpiredHandoff[]>`
      WITH due AS (
        UPDATE handoffs SET status = 'expired', updated_at = ${at}::timestamptz
        WHERE status = 'pending' AND expires_at <= ${at}::timestamptz AND namespace = ${filter.namespace}::text
          AND (${filter.targetAgentId ?? null}::text IS NULL OR target_agent_id = ${filter.targetAgentId ?? null}::text)
          AND (${filter.sessionId ?? null}::uuid IS NULL OR session_id = ${filter.sessionId ?? null}::uuid)
          AND (${filter.handoffId ?? null}::uuid IS NULL OR id = ${filter.handoffId ?? null}::uuid)
        RETURNING id, session_id, target_agent_id
      ), logged AS (
        INSERT INTO handoff_events (handoff_id, from_status, to_status, agent_id, note, at)
        SELECT id, 'pending', 'expired', NULL, ${note}::text, ${at}::timestamptz FROM due
      )
      SELECT due.id::text AS "id", due.target_agent_id AS "targetAgentId", s.session_key AS "sessionKey" FROM due JOIN sessions s ON s.id = due.session_id`;
  }

  async findTargetsByPrefix(namespace: string, prefix: string, limit: number): Promise<string[]> {
    const rows = await this.prisma.handoff.findMany({ where: { namespace, targetAgentId: { startsWith: prefix } }, distinct: ['targetAgentId'], select: { targetAgentId: true }, orderBy: { targetAgentId: 'asc' }, take: limit });
    return rows.map((r) => r.targetAgentId);
  }
}

function toRecord(row: RowWithKey): HandoffRecord {
  return {
    id: row.id,
    namespace: row.namespace,
    sessionId: row.sessionId,
    sessionKey: row.session.sessionKey,
    type: row.type,
    status: row.status,
    fromAgentId: row.fromAgentId,
    targetAgentId: row.targetAgentId,
    instructions: row.instructions,
    tokenBudget: row.tokenBudget,
    packageTokens: row.packageTokens,
    throughSequence: row.throughSequence,
    touchedFiles: row.touchedFiles,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    updatedAt: row.updatedAt,
  };
}
