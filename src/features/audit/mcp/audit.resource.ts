import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import { AuditError, AuditErrorCode } from 'src/features/audit/audit.errors.js';
import { AuditService } from 'src/features/audit/audit.service.js';
import type { AuditQuery } from 'src/features/audit/audit.types.js';
import { AUDIT_URI, toAuditPageView } from 'src/features/audit/mcp/audit.schemas.js';

const PARAMETERS = ['cursor', 'action', 'since', 'limit'] as const;

// handoff://audit: the audit trail of the caller's namespace (admins: every
// namespace; list_audit_events picks one), newest first, a page at a time.
@Injectable()
@McpResource()
export class AuditResource implements ResourceDefinition {
  readonly name = 'audit';
  readonly scope = 'audit:read' as const;
  readonly title = 'Audit trail';
  readonly description =
    'Security-relevant events of your namespace, newest first: handoff transitions, legal-hold changes, sweeps, job retries, key changes, authentication failures and denials, ' +
    'each with who (credential, agent), what, when and from where. ?action= filters by action (handoff.* for a prefix), ?since= by time (ISO 8601), ?limit= sets the page size; follow nextUri for older events. ' +
    'Admins read every namespace here; list_audit_events reads one.';
  readonly uriTemplate = AUDIT_URI;
  readonly queryParameters = PARAMETERS;

  constructor(private readonly audit: AuditService) {}

  async read(_variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    const asked = auditQuery(query);
    const page = toAuditPageView(await this.audit.list(caller.principal, asked));
    if (page.nextCursor === null) return page;
    const next = new URLSearchParams({ ...withoutCursor(query), cursor: page.nextCursor });
    return { ...page, nextUri: `${AUDIT_URI}?${next.toString()}` };
  }
}

function auditQuery(query: URLSearchParams): AuditQuery {
  const limit = query.get('limit');
  if (limit !== null && !/^\d{1,9}$/.test(limit)) throw new AuditError(AuditErrorCode.InvalidArgument, `limit=${limit.slice(0, 32)} is not a whole number.`);
  return {
    action: query.get('action') ?? undefined,
    since: query.get('since') ?? undefined,
    cursor: query.get('cursor') ?? undefined,
    limit: limit === null ? undefined : Number(limit),
  };
}

function withoutCursor(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries(PARAMETERS.filter((name) => name !== 'cursor' && query.has(name)).map((name) => [name, query.get(name) as string]));
}
