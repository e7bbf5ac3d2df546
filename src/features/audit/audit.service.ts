import { Inject, Injectable, Logger } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { AccessError } from 'src/platform/access/access.errors.js';
import { actsAcrossNamespaces, type Principal } from 'src/platform/access/principal.js';
import { Clock } from 'src/platform/clock/clock.js';
import { echo } from 'src/platform/input/input-guard.js';
import { decodeKeysetCursor, encodeKeysetCursor } from 'src/platform/pagination/keyset-cursor.js';
import { AuditError, AuditErrorCode } from 'src/features/audit/audit.errors.js';
import { AuditRepository } from 'src/features/audit/audit.repository.js';
import type { AuditFilter, AuditPage, AuditQuery } from 'src/features/audit/audit.types.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const PURGE_BATCH = 5000;
const ACTION = /^[a-z0-9][a-z0-9._:-]{0,63}$/;
// Years 1 to 9999, as PostgreSQL and JavaScript both read them.
const ISO_DATE = /^(?!0000)\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const ACTION_PREFIX = /^[a-z0-9][a-z0-9._:-]{0,62}\*$/;

// Reads the audit trail for callers with audit:read (their own namespace;
// admins any or all), and purges events past their retention.
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly events: AuditRepository,
    private readonly clock: Clock,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  async list(principal: Principal, query: AuditQuery): Promise<AuditPage> {
    const limit = this.pageSize(query.limit);
    const filter: AuditFilter = {
      namespace: namespaceOf(principal, query.namespace),
      ...(query.action !== undefined ? { action: actionFilter(query.action) } : {}),
      ...(query.since !== undefined ? { since: instant(query.since) } : {}),
      ...(query.cursor !== undefined ? { after: position(query.cursor) } : {}),
    };
    const rows = await this.events.listPage(filter, limit + 1);
    const events = rows.slice(0, limit);
    const last = events.at(-1);
    return { events, nextCursor: rows.length > limit && last ? encodeKeysetCursor({ at: last.at, id: last.id }) : null };
  }

  // Deletes every event older than BATON_AUDIT_RETENTION_DAYS; returns how many.
  async purgeExpired(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.audit.retentionDays * DAY_MS);
    let purged = 0;
    for (;;) {
      const deleted = await this.events.deleteOlderThan(cutoff, PURGE_BATCH);
      purged += deleted;
      if (deleted < PURGE_BATCH) break;
    }
    if (purged > 0) this.logger.log({ purged, before: cutoff.toISOString() }, 'audit events past their retention purged');
    return purged;
  }

  private pageSize(requested: number | undefined): number {
    const { defaultPageSize, maxPageSize } = this.config.limits;
    if (requested === undefined) return defaultPageSize;
    if (!Number.isInteger(requested) || requested < 1 || requested > maxPageSize) throw invalid(`limit ${requested} is out of range: ask for 1 to ${maxPageSize}.`);
    return requested;
  }
}

// A caller reads its own namespace; only admins name another one, and an
// admin who names none reads every namespace.
function namespaceOf(principal: Principal, asked: string | undefined): string | 'all' {
  if (actsAcrossNamespaces(principal)) return asked ?? 'all';
  if (asked === undefined || asked === principal.namespace) return principal.namespace;
  throw AccessError.insufficientScope('admin', `Reading the audit trail of namespace "${echo(asked)}" (not yours, "${principal.namespace}")`);
}

function actionFilter(action: string): AuditFilter['action'] {
  if (ACTION.test(action)) return { exact: action };
  if (ACTION_PREFIX.test(action)) return { prefix: action.slice(0, -1) };
  throw invalid(`action "${echo(action)}" is not an audit action: give one such as handoff.accepted, or a prefix ending in * such as handoff.*`);
}

function instant(since: string): Date {
  const at = new Date(since);
  if (!ISO_DATE.test(since) || Number.isNaN(at.getTime())) {
    throw invalid(`since "${echo(since)}" is not an ISO 8601 date or instant; write e.g. 2026-12-01 or 2026-12-01T09:30:00Z.`);
  }
  return at;
}

function position(cursor: string): NonNullable<AuditFilter['after']> {
  const decoded = decodeKeysetCursor(cursor);
  if (!decoded) throw invalid('cursor is not one Baton issued: pass the nextCursor of a previous page of the audit trail, or leave it out for the newest events.');
  return decoded;
}

function invalid(message: string): AuditError {
  return new AuditError(AuditErrorCode.InvalidArgument, message);
}
