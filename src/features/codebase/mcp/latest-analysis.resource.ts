import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { readAnalysis } from 'src/features/codebase/mcp/analysis.resource.js';
import { analysisUri, CODEBASE_EVENTS, CodebaseService } from 'src/features/codebase/codebase.service.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';

// handoff://sessions/{sessionKey}/analyses/latest: the session's newest
// analysis, whatever its state; subscribers hear of each new one too.
@Injectable()
@McpResource()
export class LatestAnalysisResource implements ResourceDefinition {
  readonly name = 'session-analysis-latest';
  readonly title = 'Latest codebase analysis';
  readonly description = 'The session\'s newest codebase analysis (queued, running or finished), in the same shape as handoff://sessions/{sessionKey}/analyses/{analysisId}.';
  readonly uriTemplate = 'handoff://sessions/{sessionKey}/analyses/latest';
  readonly queryParameters = ['file'] as const;

  constructor(
    private readonly codebase: CodebaseService,
    private readonly sessions: SessionsService,
  ) {}

  async complete(variable: string, value: string, caller: McpCaller): Promise<string[]> {
    return variable === 'sessionKey' ? this.sessions.completeKeys(caller.namespace, value) : [];
  }

  async read(variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    return readAnalysis(this.codebase, caller, variables.sessionKey ?? '', 'latest', query);
  }

  changedUris(event: DomainEvent): string[] {
    const { sessionKey } = event.subject;
    return event.type === CODEBASE_EVENTS.updated && sessionKey !== undefined ? [analysisUri(sessionKey, 'latest')] : [];
  }
}
