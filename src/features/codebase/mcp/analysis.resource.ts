import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { toAnalysisResult, toFileView } from 'src/features/codebase/mcp/analysis.schemas.js';
import { analysisUri, CODEBASE_EVENTS, CodebaseService } from 'src/features/codebase/codebase.service.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';

// handoff://sessions/{sessionKey}/analyses/{analysisId}: one analysis with
// every file (rank, imports, problems); ?file=<path> gives that file with
// all its extracted facts. Subscribers hear of progress and completion.
@Injectable()
@McpResource()
export class AnalysisResource implements ResourceDefinition {
  readonly name: string = 'session-analysis';
  readonly title: string = 'Codebase analysis';
  readonly description: string = 'One codebase analysis of a session: status and progress, summary, cycles, the ranked map, and every file ranked with its imports. ?file=<path> returns one file with all its declarations, signatures and complexity.';
  readonly uriTemplate: string = 'handoff://sessions/{sessionKey}/analyses/{analysisId}';
  readonly queryParameters = ['file'] as const;

  constructor(
    private readonly codebase: CodebaseService,
    private readonly sessions: SessionsService,
  ) {}

  async complete(variable: string, value: string, caller: McpCaller): Promise<string[]> {
    if (variable === 'sessionKey') return this.sessions.completeKeys(caller.namespace, value);
    return variable === 'analysisId' && 'latest'.startsWith(value) ? ['latest'] : [];
  }

  async read(variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    return readAnalysis(this.codebase, caller, variables.sessionKey ?? '', variables.analysisId ?? '', query);
  }

  changedUris(event: DomainEvent): string[] {
    const { sessionKey, analysisId } = event.subject;
    return event.type === CODEBASE_EVENTS.updated && sessionKey !== undefined && analysisId !== undefined ? [analysisUri(sessionKey, analysisId)] : [];
  }
}

async function readAnalysis(codebase: CodebaseService, caller: McpCaller, sessionKey: string, analysisId: string, query: URLSearchParams): Promise<unknown> {
  const file = query.get('file') ?? undefined;
  const detail = await codebase.detail(caller.namespace, sessionKey, analysisId, file);
  return { ...toAnalysisResult(detail.view), files: detail.files.map((f) => toFileView(f, file !== undefined)) };
}

// handoff://sessions/{sessionKey}/analyses/latest: the session's newest
// analysis, whatever its state; subscribers hear of each new one too.
@Injectable()
@McpResource()
export class LatestAnalysisResource extends AnalysisResource {
  override readonly name = 'session-analysis-latest';
  override readonly title = 'Latest codebase analysis';
  override readonly description = 'The session\'s newest codebase analysis (queued, running or finished), in the same shape as handoff://sessions/{sessionKey}/analyses/{analysisId}.';
  override readonly uriTemplate = 'handoff://sessions/{sessionKey}/analyses/latest';

  override async read(variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    return super.read({ ...variables, analysisId: 'latest' }, query, caller);
  }

  override changedUris(event: DomainEvent): string[] {
    const { sessionKey } = event.subject;
    return event.type === CODEBASE_EVENTS.updated && sessionKey !== undefined ? [analysisUri(sessionKey, 'latest')] : [];
  }
}
