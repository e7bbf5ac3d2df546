import { Injectable } from '@nestjs/common';

import type { AuditEvent as AuditEventRow, Prisma } from 'src/platform/database/generated/client.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import type { AuditEvent, AuditFilter } from 'src/features/audit/audit.types.js';

// The reading and purging side of audit_events (AuditTrail in platform/audit
// writes it).
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  // Newest first, by (at, id): the keyset the cursor holds.
  async listPage(filter: AuditFilter, limit: number): Promise<AuditEvent[]> {
    const where: Prisma.AuditEventWhereInput = {
      ...(filter.namespace === 'all' ? {} : { namespace: filter.namespace }),
      ...(filter.action === undefined ? {} : 'exact' in filter.action ? { action: filter.action.exact } : { action: { startsWith: filter.action.prefix } }),
      ...(filter.since ? { at: { gte: filter.since } } : {}),
      ...(filter.after ? { OR: [{ at: { lt: filter.after.at } }, { at: filter.after.at, id: { lt: filter.after.id } }] } : {}),
    };
    const rows = await this.prisma.auditEvent.findMany({ where, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: limit });
    return rows.map(toEvent);
  }

  // Deletes up to `batch` events older than the cutoff; returns how many.
  // Small batches keep each statement's locks and WAL short.
  async deleteOlderThan(cutoff: Date, batch: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ${cutoff}::timestamptz LIMIT ${batch}::int)`;
  }
}

function toEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    namespace: row.namespace,
    action: row.action,
    outcome: row.outcome,
    credentialId: row.credentialId,
    agentId: row.agentId,
    target: row.target,
    source: row.source,
    detail: row.detail !== null && typeof row.detail === 'object' && !Array.isArray(row.detail) ? (row.detail as Record<string, unknown>) : null,
  };
}
