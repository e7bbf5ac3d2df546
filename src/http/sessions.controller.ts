import { Controller, Get, Inject, Param, Query, Req, UsePipes } from '@nestjs/common';
import type { Request } from 'express';
import { z } from 'zod';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { ContextService } from 'src/features/context/context.service.js';
import { ContextError, ContextErrorCode } from 'src/features/context/context.errors.js';
import { ENTRY_TYPES, type EntryType } from 'src/features/context/context.types.js';
import { toEntryView } from 'src/features/context/mcp/entry.schemas.js';
import { toSessionDetailView, toSessionView } from 'src/features/sessions/mcp/session.schemas.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';
import { SESSION_STATUSES } from 'src/features/sessions/sessions.types.js';
import { InputGuardPipe } from 'src/http/input-guard.pipe.js';
import { AccessError } from 'src/platform/access/access.errors.js';
import { hasScope } from 'src/platform/access/principal.js';
import { clientAddress, principalOf, type AuthenticatedRequest } from 'src/platform/access/request-principal.js';
import { accessDeniedRecord } from 'src/platform/audit/access-denied.js';
import { AuditTrail } from 'src/platform/audit/audit-trail.js';
import { QueryWholeNumberSchema } from 'src/platform/input/whole-number.js';

const ListQuery = z.object({
  status: z.enum(SESSION_STATUSES).optional(),
  agentId: z.string().min(1).optional(),
  limit: QueryWholeNumberSchema.optional(),
  cursor: z.string().optional(),
});

const ContextQuery = z.object({
  afterSequence: QueryWholeNumberSchema.optional(),
  limit: QueryWholeNumberSchema.optional(),
  types: z.string().optional().transform((v) => (v ? (v.split(',') as EntryType[]) : undefined)),
});

// Read-only REST for people and dashboards; agents write through MCP.
@Controller('api/sessions')
@UsePipes(InputGuardPipe)
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly context: ContextService,
    private readonly audit: AuditTrail,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  @Get()
  async list(@Req() req: AuthenticatedRequest & Request, @Query() query: unknown) {
    const page = await this.sessions.list(this.namespaceOf(req), parse(ListQuery, query));
    return { sessions: page.sessions.map(toSessionView), nextCursor: page.nextCursor };
  }

  @Get(':sessionKey')
  async get(@Req() req: AuthenticatedRequest & Request, @Param('sessionKey') sessionKey: string) {
    return toSessionDetailView(await this.sessions.getDetail(this.namespaceOf(req), sessionKey));
  }

  @Get(':sessionKey/context')
  async entries(@Req() req: AuthenticatedRequest & Request, @Param('sessionKey') sessionKey: string, @Query() query: unknown) {
    const page = await this.context.page(this.namespaceOf(req), { sessionKey, ...parse(ContextQuery, query) });
    return { sessionKey, entries: page.entries.map(toEntryView), nextAfterSequence: page.nextAfterSequence };
  }

  // Every route reads sessions: the caller's namespace, once its scope is checked.
  private namespaceOf(req: AuthenticatedRequest & Request): string {
    const principal = principalOf(req, this.config.sessions.defaultNamespace);
    if (!hasScope(principal, 'sessions:read')) {
      const refusal = AccessError.insufficientScope('sessions:read', 'Reading sessions');
      void this.audit.record(accessDeniedRecord(refusal, `${req.method} ${req.path}`, principal, clientAddress(req)));
      throw refusal;
    }
    return principal.namespace;
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new ContextError(ContextErrorCode.InvalidArgument, `Invalid query: ${problems}. Entry types are ${ENTRY_TYPES.join(', ')}.`);
}
