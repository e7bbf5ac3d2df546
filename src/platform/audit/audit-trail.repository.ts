import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';

import type { Prisma } from 'src/platform/database/generated/client.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';

// One stored audit event, as the trail writes it.
export interface AuditRow {
  readonly at: Date;
  readonly namespace: string | null;
  readonly action: string;
  readonly outcome: 'success' | 'denied' | 'failed';
  readonly credentialId: string | null;
  readonly agentId: string | null;
  readonly target: string | null;
  readonly source: string | null;
  readonly detail: Record<string, unknown> | null;
}

// The writing side of the audit trail: appends only. Reading and purging
// belong to the audit feature.
@Injectable()
export class AuditTrailRepository {
  constructor(private readonly prisma: PrismaService) {}

  // Time-ordered ids (UUIDv7, monotonic in this process) break ties between
  // events of one millisecond in the order they happened.
  async append(row: AuditRow): Promise<void> {
    await this.prisma.auditEvent.create({ data: { id: uuidv7(), ...row, detail: (row.detail ?? undefined) as Prisma.InputJsonValue | undefined }, select: { id: true } });
  }
}
