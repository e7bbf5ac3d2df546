import { Injectable, Logger } from '@nestjs/common';

import { currentAccess } from 'src/platform/access/access-context.js';
import { withTimeout } from 'src/platform/async/with-timeout.js';
import { AuditTrailRepository, type AuditRow } from 'src/platform/audit/audit-trail.repository.js';
import { Clock } from 'src/platform/clock/clock.js';

// What the audit trail records: an action on a target, with its outcome.
// Who (credential, agent) and where from come from the request in progress.
export interface AuditRecord {
  // e.g. `auth.failed`, `access.denied`, `key.created`, `handoff.accepted`, `legal_hold.set`
  readonly action: string;
  // Namespace the action concerns; the caller's when omitted.
  readonly namespace?: string;
  // What it was done to, e.g. a session key, a handoff id, a key id.
  readonly target?: string;
  readonly outcome: 'success' | 'denied' | 'failed';
  // The agent the caller acted as, when the action names one.
  readonly agentId?: string;
  // Short structured facts; never entry contents or secrets.
  readonly detail?: Record<string, unknown>;
  // For events outside a request (e.g. a failed authentication): who and where.
  readonly credentialId?: string;
  readonly source?: string;
}

// Who and where for what Baton does by itself (expiry, scheduled work).
export const SYSTEM_CREDENTIAL = 'system';
export const JOB_SOURCE = 'job';

// Column widths of audit_events; longer values are cut, never refused.
const WIDTH = { action: 64, namespace: 128, credentialId: 256, agentId: 256, target: 512, source: 256 } as const;
// A detail larger than this (as JSON) is replaced by a note saying so: the
// trail holds short facts, not payloads.
const MAX_DETAIL_CHARS = 4096;
// A database that does not answer must not hold up the audited action (or a
// 401) for the pool's whole connection timeout.
const STORE_TIMEOUT_MS = 2_000;

// Records security-relevant events: one JSON log line with its who, what and
// where, and one row of audit_events (read through the audit feature).
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly rows: AuditTrailRepository,
    private readonly clock: Clock,
  ) {}

  async record(record: AuditRecord): Promise<void> {
    const access = currentAccess();
    const row: AuditRow = {
      at: this.clock.now(),
      namespace: cut(record.namespace ?? access?.principal.namespace, WIDTH.namespace),
      action: cut(record.action, WIDTH.action) ?? '',
      outcome: record.outcome,
      credentialId: cut(record.credentialId ?? access?.principal.credentialId, WIDTH.credentialId),
      agentId: cut(record.agentId, WIDTH.agentId),
      target: cut(record.target, WIDTH.target),
      source: cut(record.source ?? access?.source, WIDTH.source),
      detail: boundedDetail(record.detail),
    };
    this.logger.log(
      {
        audit: row.action,
        outcome: row.outcome,
        namespace: row.namespace ?? undefined,
        credentialId: row.credentialId ?? undefined,
        agentId: row.agentId ?? undefined,
        target: row.target ?? undefined,
        source: row.source ?? undefined,
        ...(row.detail ? { detail: row.detail } : {}),
      },
      'audit',
    );
    try {
      await withTimeout(this.rows.append(row), STORE_TIMEOUT_MS);
    } catch (error) {
      // The audited action stands; the log line above keeps the event, and
      // this one says the table may lack it.
      this.logger.error({ audit: row.action, target: row.target ?? undefined, err: (error as Error).message }, 'AUDIT EVENT NOT STORED: audit_events may lack this event; the log line before this one holds it');
    }
  }
}

function cut(value: string | undefined, width: number): string | null {
  if (value === undefined) return null;
  return value.length <= width ? value : value.slice(0, width);
}

function boundedDetail(detail: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (detail === undefined) return null;
  let chars: number;
  try {
    chars = JSON.stringify(detail).length;
  } catch {
    return { omitted: 'detail could not be written as JSON' };
  }
  return chars <= MAX_DETAIL_CHARS ? detail : { omitted: `detail of ${chars} characters is over the ${MAX_DETAIL_CHARS}-character limit` };
}
