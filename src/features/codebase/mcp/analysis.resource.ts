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
  readonly name = 'session-analysis';
  readonly title = 'Codebase analysis';
  readonly description = 'One codebase analysis of a session: status and progress, summary, cycles, the ranked map, and every file ranked with its imports. ?file=<path> returns one file with all its declarations, signatures and complexity.';
  readonly uriTemplate = 'handoff://sessions/{sessionKey}/analyses/{analysisId}';
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

export async function readAnalysis(codebase: CodebaseService, caller: McpCaller, sessionKey: string, analysisId: string, query: URLSearchParams): Promise<unknown> {
  const file = query.get('file') ?? undefined;
  const detail = await codebase.detail(caller.namespace, sessionKey, analysisId, file);
  return { ...toAnalysisResult(detail.view), files: detail.files.map((f) => toFileView(f, file !== undefined)) };
}
