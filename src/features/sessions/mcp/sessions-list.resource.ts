import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { SESSIONS_URI, toSessionView } from 'src/features/sessions/mcp/session.schemas.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';

// handoff://sessions: the namespace's active sessions, most recent first.
@Injectable()
@McpResource()
export class SessionsListResource implements ResourceDefinition {
  readonly name = 'sessions';
  readonly scope = 'sessions:read' as const;
  readonly title = 'Active sessions';
  readonly description = 'Active Baton sessions, most recently active first (one page; use list_sessions or ?cursor= for more).';
  readonly uriTemplate = SESSIONS_URI;
  readonly queryParameters = ['cursor'] as const;

  constructor(private readonly sessions: SessionsService) {}

  async read(_variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    const page = await this.sessions.list(caller.namespace, { status: 'active', cursor: query.get('cursor') ?? undefined });
    return {
      sessions: page.sessions.map(toSessionView),
      nextCursor: page.nextCursor,
      ...(page.nextCursor ? { nextUri: `${SESSIONS_URI}?cursor=${page.nextCursor}` } : {}),
    };
  }

  changedUris(event: DomainEvent): string[] {
    return event.subject.sessionKey !== undefined ? [SESSIONS_URI] : [];
  }
}
