import { Injectable, Logger } from '@nestjs/common';

import type { Principal } from 'src/platform/access/principal.js';
import { AuditTrail } from 'src/platform/audit/audit-trail.js';

// One record per credential and kind of refusal in this long.
const AUDIT_INTERVAL_MS = 60_000;
// Credentials remembered before the memory starts over.
const MAX_TRACKED = 10_000;

// Puts limit refusals in the audit trail, once per credential, kind and
// minute: a flood of refused requests must not become a flood of records.
@Injectable()
export class RefusalAudit {
  private readonly logger = new Logger(RefusalAudit.name);
  private readonly lastRecorded = new Map<string, number>();

  constructor(private readonly audit: AuditTrail) {}

  refused(principal: Principal, action: string, detail: Record<string, unknown>, source?: string): void {
    const id = `${action}|${principal.credentialId}`;
    const now = Date.now();
    if ((this.lastRecorded.get(id) ?? -Infinity) > now - AUDIT_INTERVAL_MS) return;
    if (this.lastRecorded.size >= MAX_TRACKED) this.lastRecorded.clear();
    this.lastRecorded.set(id, now);
    this.audit
      .record({ action, outcome: 'denied', namespace: principal.namespace, credentialId: principal.credentialId, source, detail: { ...detail, recordedOncePerSeconds: AUDIT_INTERVAL_MS / 1000 } })
      .catch((error: Error) => this.logger.warn({ err: error.message, action }, 'could not record a limit refusal in the audit trail'));
  }
}
