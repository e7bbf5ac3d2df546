import { Injectable, Logger } from '@nestjs/common';

import { currentAccess } from 'src/platform/access/access-context.js';

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

// Records security-relevant events. Every record goes to the log at once, as
// one JSON line with its who, what and where.
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger('Audit');

  async record(record: AuditRecord): Promise<void> {
    const access = currentAccess();
    this.logger.log(
      {
        audit: record.action,
        outcome: record.outcome,
        namespace: record.namespace ?? access?.principal.namespace,
        credentialId: record.credentialId ?? access?.principal.credentialId,
        agentId: record.agentId,
        target: record.target,
        source: record.source ?? access?.source,
        ...(record.detail ? { detail: record.detail } : {}),
      },
      'audit',
    );
  }
}
