import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { queryWholeNumber } from 'src/platform/input/whole-number.js';
import { HANDOFF_EVENTS, HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import { sessionSummaryUri } from 'src/features/handoffs/mcp/handoff.schemas.js';
import { CONTEXT_EVENTS } from 'src/features/context/context.service.js';
import { SESSION_EVENTS, SessionsService } from 'src/features/sessions/sessions.service.js';

// What changes a session's brief: a new entry, a new status, a new owner.
const CHANGING = new Set<string>([CONTEXT_EVENTS.appended, SESSION_EVENTS.statusChanged, HANDOFF_EVENTS.accepted]);

// handoff://sessions/{sessionKey}/summary: the session's current brief, the
// package a handoff would carry now (without handoff instructions).
@Injectable()
@McpResource()
export class SessionSummaryResource implements ResourceDefinition {
  readonly name = 'session-summary';
  readonly scope = 'sessions:read' as const;
  readonly title = 'Session summary';
  readonly description = 'The session\'s current brief within a token budget (?tokenBudget=N, server default otherwise): goal and state, open todos, decisions in force, errors and what was tried, files, and pointers to the rest. Subscribe to hear when it changes.';
  readonly uriTemplate = 'handoff://sessions/{sessionKey}/summary';
  readonly queryParameters = ['tokenBudget'] as const;

  constructor(
    private readonly handoffs: HandoffsService,
    private readonly sessions: SessionsService,
  ) {}

  async complete(variable: string, value: string, caller: McpCaller): Promise<string[]> {
    return variable === 'sessionKey' ? this.sessions.completeKeys(caller.namespace, value) : [];
  }

  async read(variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    return this.handoffs.summary(caller.namespace, variables.sessionKey ?? '', queryWholeNumber(query, 'tokenBudget'));
  }

  changedUris(event: DomainEvent): string[] {
    return CHANGING.has(event.type) && event.subject.sessionKey !== undefined ? [sessionSummaryUri(event.subject.sessionKey)] : [];
  }
}
