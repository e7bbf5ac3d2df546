import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { queryWholeNumber } from 'src/platform/input/whole-number.js';
import { CONTEXT_EVENTS, ContextService } from 'src/features/context/context.service.js';
import { contextUri, toEntryView } from 'src/features/context/mcp/entry.schemas.js';
import { SESSION_EVENTS, SessionsService } from 'src/features/sessions/sessions.service.js';

// handoff://sessions/{sessionKey}/context: the ordered entries, a page at a
// time (?afterSequence=N&limit=M). Subscribers hear of every append.
@Injectable()
@McpResource()
export class SessionContextResource implements ResourceDefinition {
  readonly name = 'session-context';
  readonly scope = 'sessions:read' as const;
  readonly title = 'Session context';
  readonly description = 'A session\'s entries in order. Large sessions paginate: follow nextUri. Subscribe to hear of every new entry.';
  readonly uriTemplate = 'handoff://sessions/{sessionKey}/context';
  readonly queryParameters = ['afterSequence', 'limit'] as const;

  constructor(
    private readonly context: ContextService,
    private readonly sessions: SessionsService,
  ) {}

  async complete(variable: string, value: string, caller: McpCaller): Promise<string[]> {
    return variable === 'sessionKey' ? this.sessions.completeKeys(caller.namespace, value) : [];
  }

  async read(variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    const sessionKey = variables.sessionKey ?? '';
    const page = await this.context.page(caller.namespace, {
      sessionKey,
      afterSequence: queryWholeNumber(query, 'afterSequence'),
      limit: queryWholeNumber(query, 'limit'),
    });
    const uri = contextUri(sessionKey);
    return {
      sessionKey,
      entries: page.entries.map(toEntryView),
      nextAfterSequence: page.nextAfterSequence,
      ...(page.nextAfterSequence !== null ? { nextUri: `${uri}?afterSequence=${page.nextAfterSequence}${query.has('limit') ? `&limit=${query.get('limit')}` : ''}` } : {}),
    };
  }

  // Appends change the entries; archiving moves them and purging deletes them.
  changedUris(event: DomainEvent): string[] {
    if (event.subject.sessionKey === undefined) return [];
    const moved = event.type === SESSION_EVENTS.statusChanged && (event.subject.status === 'archived' || event.subject.status === 'purged');
    return event.type === CONTEXT_EVENTS.appended || moved ? [contextUri(event.subject.sessionKey)] : [];
  }
}
