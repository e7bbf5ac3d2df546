import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition, type ResourceListPage } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { sessionUri, toSessionDetailView } from 'src/features/sessions/mcp/session.schemas.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';

// handoff://sessions/{sessionKey}: the session, its status and its lifecycle history.
@Injectable()
@McpResource()
export class SessionResource implements ResourceDefinition {
  readonly name = 'session';
  readonly scope = 'sessions:read' as const;
  readonly title = 'Session';
  readonly description = 'One session: owner, goal, repository anchor, tags, status, every status transition with its reason, and (once archived) a summary of its ledger.';
  readonly uriTemplate = 'handoff://sessions/{sessionKey}';

  constructor(private readonly sessions: SessionsService) {}

  async list(caller: McpCaller, cursor: string | undefined): Promise<ResourceListPage> {
    const page = await this.sessions.list(caller.namespace, { status: 'active', cursor });
    return {
      resources: page.sessions.map((s) => ({ uri: sessionUri(s.sessionKey), name: s.sessionKey, title: s.title ?? s.sessionKey, description: `${s.agentId}, ${s.lastSequence} entries`, mimeType: 'application/json' })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  async complete(variable: string, value: string, caller: McpCaller): Promise<string[]> {
    return variable === 'sessionKey' ? this.sessions.completeKeys(caller.namespace, value) : [];
  }

  async read(variables: Record<string, string>, _query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    return toSessionDetailView(await this.sessions.getDetail(caller.namespace, variables.sessionKey ?? ''));
  }

  changedUris(event: DomainEvent): string[] {
    return event.subject.sessionKey !== undefined ? [sessionUri(event.subject.sessionKey)] : [];
  }
}
