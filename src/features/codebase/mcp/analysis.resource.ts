import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { toAnalysisResult, toFileView } from 'src/features/codebase/mcp/analysis.schemas.js';
import { CodebaseError, CodebaseErrorCode } from 'src/features/codebase/codebase.errors.js';
import { analysisUri, CODEBASE_EVENTS, CodebaseService } from 'src/features/codebase/codebase.service.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';

// handoff://sessions/{sessionKey}/analyses/{analysisId}: one analysis with
// a page of its files by rank (rank, imports, problems; ?cursor=&limit=);
// ?file=<path> gives that file with all its extracted facts. Subscribers
// hear of progress and completion.
@Injectable()
@McpResource()
export class AnalysisResource implements ResourceDefinition {
  readonly name: string = 'session-analysis';
  readonly scope = 'sessions:read' as const;
  readonly title: string = 'Codebase analysis';
  readonly description: string = 'One codebase analysis of a session: status and progress, summary, cycles, the ranked map, and its files by rank with their imports, a page at a time (follow nextUri; ?limit= sets the page size). ?file=<path> returns one file with all its declarations, signatures and complexity.';
  readonly uriTemplate: string = 'handoff://sessions/{sessionKey}/analyses/{analysisId}';
  readonly queryParameters = ['file', 'cursor', 'limit'] as const;

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
  const limit = query.get('limit');
  if (limit !== null && !/^\d+$/.test(limit)) throw new CodebaseError(CodebaseErrorCode.InvalidArgument, `limit=${limit} is not a whole number.`);
  const detail = await codebase.detail(caller.namespace, sessionKey, analysisId, { file, cursor: query.get('cursor') ?? undefined, limit: limit === null ? undefined : Number(limit) });
  const result = toAnalysisResult(detail.view);
  // The next page names the analysis itself, so reading on from `latest` stays on one analysis.
  const nextUri = detail.nextCursor === null ? null : `${analysisUri(sessionKey, result.analysisId)}?cursor=${detail.nextCursor}${limit === null ? '' : `&limit=${limit}`}`;
  return { ...result, files: detail.files.map((f) => toFileView(f, file !== undefined)), nextCursor: detail.nextCursor, ...(nextUri ? { nextUri } : {}) };
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
