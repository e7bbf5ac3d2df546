import { Inject, Injectable, Logger } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { Clock } from 'src/platform/clock/clock.js';
import { DomainError } from 'src/platform/errors/domain-error.js';
import { EventBusService } from 'src/platform/events/event-bus.service.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';
import { countTextTokens } from 'src/platform/tokens/token-counter.js';
import { grantRoot } from 'src/features/codebase/analysis/allowed-roots.js';
import type { CodebaseAnalyzer, PreviousOutcome } from 'src/features/codebase/analysis/codebase-analyzer.js';
import { toPosix } from 'src/features/codebase/analysis/paths.js';
import { byRank, renderMap } from 'src/features/codebase/analysis/repo-map.js';
import { symbolsOf } from 'src/features/codebase/analysis/symbols.js';
import { CodebaseError, CodebaseErrorCode } from 'src/features/codebase/codebase.errors.js';
import { CodebaseRepository, type FilePosition } from 'src/features/codebase/codebase.repository.js';
import type { AnalysisOutcome, AnalysisRecord, AnalysisView, CodebaseHighlights, FileRecord, HighlightFile, StartAnalysisInput } from 'src/features/codebase/codebase.types.js';
import { AnalyzeCodebaseJob, type AnalyzeCodebaseJobData } from 'src/features/codebase/jobs/analyze-codebase.job.js';
import { ContextService } from 'src/features/context/context.service.js';
import { SessionsService } from 'src/features/sessions/sessions.service.js';

export const CODEBASE_EVENTS = { updated: 'codebase.analysis_updated' } as const;

const MAX_GLOBS = 50;
const MAX_TOKEN_BUDGET = 100_000;
const PROBLEMS_SHOWN = 50;
// Progress of a background analysis is written (and announced) at most this often.
const PROGRESS_INTERVAL_MS = 500;
// Outcomes kept in memory, so re-analysing the same root skips loading its files.
const RECENT_OUTCOMES = 2;
// A running analysis beats this often; silent for SILENT_AFTER_MS, its process is taken for dead.
const HEARTBEAT_MS = 15_000;
export const SILENT_AFTER_MS = 120_000;
// Unfinished analyses the start-up check looks at.
const REPAIR_BATCH = 1000;

export interface AnalysisHooks {
  signal?: AbortSignal;
  onProgress?: (processed: number, total: number) => Promise<void>;
}

export const analysisUri = (sessionKey: string, analysisId: string): string => `handoff://sessions/${encodeURIComponent(sessionKey)}/analyses/${analysisId}`;

@Injectable()
export class CodebaseService {
  private readonly logger = new Logger(CodebaseService.name);
  private readonly metrics = batonMetrics();
  // The analyzer brings the TypeScript compiler (about 0.4 s to load): it is
  // loaded with the first analysis, not at start.
  private analyzer?: Promise<CodebaseAnalyzer>;
  private readonly recent = new Map<string, PreviousOutcome>();

  constructor(
    private readonly analyses: CodebaseRepository,
    private readonly sessions: SessionsService,
    private readonly context: ContextService,
    private readonly queue: QueueService,
    private readonly events: EventBusService,
    private readonly clock: Clock,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  // Analyses the root now, or (above the job threshold) queues the analysis
  // and answers at once with its id and job id.
  async analyze(namespace: string, input: StartAnalysisInput, hooks: AnalysisHooks = {}): Promise<AnalysisView> {
    const tokenBudget = this.tokenBudget(input.tokenBudget);
    for (const [name, globs] of [['include', input.include], ['exclude', input.exclude]] as const) {
      if (globs.length > MAX_GLOBS) throw new CodebaseError(CodebaseErrorCode.InvalidArgument, `${name} has ${globs.length} globs; give at most ${MAX_GLOBS}.`);
    }
    const session = await this.sessions.get(namespace, input.sessionKey);
    const unwritable = this.sessions.explainUnwritable(session, input.sessionKey);
    if (unwritable) throw unwritable;
    const granted = await grantRoot(input.root, this.config.codebase.allowedRoots);
    const count = await (await this.loadAnalyzer()).count({ root: granted.root, include: input.include, exclude: input.exclude }, granted.boundary);
    const background = count > this.config.codebase.jobThresholdFiles;
    const analysis = await this.analyses.create({
      sessionId: session.id,
      root: granted.root,
      analysisType: input.analysisType,
      include: input.include,
      exclude: input.exclude,
      status: background ? 'queued' : 'running',
      total: count,
      at: this.clock.now(),
    });
    this.logger.log({ sessionKey: input.sessionKey, analysisId: analysis.id, files: count, background }, 'codebase analysis started');
    if (background) {
      const jobId = await this.queue.enqueue(AnalyzeCodebaseJob, { analysisId: analysis.id, namespace, boundary: granted.boundary, tokenBudget }, { jobId: `analysis-${analysis.id}`, attempts: 1 });
      await this.analyses.setJobId(analysis.id, jobId);
      await this.announce(namespace, analysis);
      return { analysis: { ...analysis, jobId }, problems: [], map: null, mapTokens: 0 };
    }
    const finished = await this.run(namespace, analysis, granted.boundary, tokenBudget, hooks);
    return this.view(finished);
  }

  // The worker's side of a queued analysis.
  // Null when the analysis is gone or no longer queued (cancelled meanwhile).
  async runQueued(data: AnalyzeCodebaseJobData, report: (processed: number, total: number) => Promise<void>): Promise<AnalysisRecord | null> {
    const analysis = await this.analyses.findByIdAnywhere(data.analysisId);
    if (!analysis || !(await this.analyses.start(analysis.id, this.clock.now()))) {
      this.logger.log({ analysisId: data.analysisId }, 'queued analysis is gone or no longer queued; skipped');
      return null;
    }
    const controller = new AbortController();
    let last = 0;
    const onProgress = async (processed: number, total: number): Promise<void> => {
      if (processed < total && performance.now() - last < PROGRESS_INTERVAL_MS) return;
      last = performance.now();
      const status = await this.analyses.recordProgress(analysis.id, processed, total, this.clock.now());
      if (status === 'cancelled') controller.abort();
      await report(processed, total);
      await this.announce(data.namespace, analysis);
    };
    return this.run(data.namespace, { ...analysis, status: 'running' }, data.boundary, data.tokenBudget, { signal: controller.signal, onProgress });
  }

  async status(namespace: string, sessionKey: string, analysisId: string): Promise<AnalysisView> {
    return this.view(await this.find(namespace, sessionKey, analysisId));
  }

  // Cancels a queued or running analysis; a finished one is returned as it is.
  async cancel(namespace: string, sessionKey: string, analysisId: string): Promise<AnalysisView> {
    const analysis = await this.find(namespace, sessionKey, analysisId);
    if (await this.analyses.cancel(analysis.id, this.clock.now())) {
      if (analysis.jobId) await this.queue.remove(AnalyzeCodebaseJob.queue, analysis.jobId).catch(() => undefined);
      await this.announce(namespace, analysis);
    }
    return this.view(await this.find(namespace, sessionKey, analysis.id));
  }

  // The analysis with a page of its files (by rank), for the analysis
  // resource; `file` gives that one file instead, with everything extracted from it.
  async detail(namespace: string, sessionKey: string, analysisId: string, query: FilesQuery = {}): Promise<AnalysisDetail> {
    const analysis = await this.find(namespace, sessionKey, analysisId);
    const view = await this.view(analysis);
    if (query.file !== undefined) {
      const one = analysis.status === 'completed' ? await this.analyses.findFile(analysis.id, query.file) : null;
      if (!one) throw new CodebaseError(CodebaseErrorCode.InvalidArgument, `The analysis has no file "${query.file}". Give a path relative to the analysed root, as listed in the analysis.`);
      return { view, files: [one], nextCursor: null };
    }
    const limit = this.pageSize(query.limit);
    const after = query.cursor !== undefined ? decodeFileCursor(query.cursor) : null;
    if (analysis.status !== 'completed') return { view, files: [], nextCursor: null };
    const rows = await this.analyses.findFilesPage(analysis.id, after, limit + 1);
    const files = rows.slice(0, limit);
    const last = files.at(-1);
    return { view, files, nextCursor: rows.length > limit && last ? encodeFileCursor(last) : null };
  }

  // For handoff packages: the session's latest completed analysis seen from
  // the files it touched: those files, the files importing them, and the
  // top-ranked symbols, rendered to fit tokenBudget. Null when the session
  // has no completed analysis. Touched paths may be absolute (under the
  // analysed root) or relative to it.
  async highlights(namespace: string, sessionKey: string, touchedPaths: string[], tokenBudget: number): Promise<CodebaseHighlights | null> {
    const analysis = await this.analyses.findLatest(namespace, sessionKey, true);
    if (!analysis || !analysis.completedAt) return null;
    const files = byRank(await this.analyses.findFiles(analysis.id));
    const touched = new Set(touchedPaths.map((p) => relativeToRoot(analysis.root, p)));
    const chosen: HighlightFile[] = [];
    const touchedFiles = files.filter((f) => touched.has(f.path));
    // Without touched files, the most central files stand in.
    const dependents = touched.size === 0 ? files : files.filter((f) => !touched.has(f.path) && (f.imports?.internal ?? []).some((i) => touched.has(i.path)));
    const reasonOf = new Map<string, HighlightFile['reason']>();
    for (const [list, reason] of [[touchedFiles, 'touched'], [dependents, touched.size === 0 ? 'central' : 'dependent']] as const) {
      for (const f of list) {
        reasonOf.set(f.path, reason);
        chosen.push({
          path: f.path,
          reason,
          rank: f.rank,
          lines: f.facts?.lines ?? 0,
          imports: (f.imports?.internal ?? []).map((i) => i.path).filter((p) => touched.has(p)),
          symbols: symbolsOf(f.facts ?? emptyFacts()).filter((s) => s.exported).map((s) => s.text),
        });
      }
    }
    const ordered = [...touchedFiles, ...dependents];
    const label = (f: FileRecord): string => (reasonOf.get(f.path) === 'dependent' ? `imports ${chosenImports(f, touched)}` : (reasonOf.get(f.path) ?? ''));
    const rendered = renderMap(ordered, analysis.graph?.topSymbols ?? [], tokenBudget, label);
    const shown = new Set(ordered.slice(0, rendered.files).map((f) => f.path));
    const inScope = (analysis.graph?.topSymbols ?? []).filter((s) => touched.size === 0 || reasonOf.has(s.path));
    return {
      analysisId: analysis.id,
      uri: analysisUri(sessionKey, analysis.id),
      root: analysis.root,
      completedAt: analysis.completedAt,
      files: chosen.filter((f) => shown.has(f.path)),
      topSymbols: inScope.slice(0, 20),
      cycles: (analysis.graph?.cycles ?? []).filter((c) => touched.size === 0 || c.some((p) => touched.has(p))),
      text: rendered.text,
      tokenCount: rendered.tokens,
    };
  }

  // Start-up check: analyses left queued or running by a process or job
  // that is gone are marked failed with the reason. Answers how many.
  async repairUnfinished(): Promise<number> {
    if (!(await this.analyses.anyUnfinished())) return 0;
    let repaired = 0;
    for (const { namespace, analysis } of await this.analyses.findUnfinished(REPAIR_BATCH)) {
      if (await this.repair(namespace, analysis)) repaired++;
    }
    return repaired;
  }

  // A queued or running analysis whose background job failed, or ended
  // without finishing it, or whose runner has been silent for
  // SILENT_AFTER_MS (its process died) is marked failed. A job whose worker
  // died is run again by the queue and resumes the analysis instead. True
  // when it was repaired. Jobs live in the queue of the host that asked for
  // them, so another host's jobs are judged by the heartbeat alone.
  private async repair(namespace: string, analysis: AnalysisRecord): Promise<boolean> {
    if (analysis.status !== 'queued' && analysis.status !== 'running') return false;
    const now = this.clock.now();
    let reason: string | null = null;
    if (analysis.jobId) {
      const job = await this.queue.status(AnalyzeCodebaseJob.queue, analysis.jobId).catch(() => null);
      if (job?.state === 'failed') reason = `its background job ${analysis.jobId} failed: ${job.reason}`;
      if (job?.state === 'completed') reason = `its background job ${analysis.jobId} ended without finishing it`;
    }
    let repaired = reason !== null && (await this.analyses.fail(analysis.id, reason, now));
    const lastSign = analysis.heartbeatAt ?? analysis.startedAt;
    const silentSince = new Date(now.getTime() - SILENT_AFTER_MS);
    if (!repaired && analysis.status === 'running' && lastSign && lastSign < silentSince) {
      reason = `the process running it stopped: no sign of it since ${lastSign.toISOString()}; run analyze_codebase again`;
      repaired = await this.analyses.failIfSilent(analysis.id, silentSince, reason, now);
    }
    if (repaired) {
      this.logger.warn({ sessionKey: analysis.sessionKey, analysisId: analysis.id, reason }, 'unfinished codebase analysis marked failed');
      await this.announce(namespace, analysis);
    }
    return repaired;
  }

  private async run(namespace: string, analysis: AnalysisRecord, boundary: string, tokenBudget: number, hooks: AnalysisHooks): Promise<AnalysisRecord> {
    const heartbeat = setInterval(() => {
      this.analyses.beat(analysis.id, this.clock.now()).catch((error: Error) => this.logger.warn({ analysisId: analysis.id, err: error.message }, 'analysis heartbeat not recorded'));
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const started = performance.now();
    let outcomeName = 'completed';
    try {
      const previous = await this.previous(namespace, analysis.root);
      const outcome = await (await this.loadAnalyzer()).analyze(analysis, previous, { maxFileBytes: this.config.codebase.maxFileBytes, boundary, signal: hooks.signal, onProgress: hooks.onProgress });
      const map = renderMap(byRank(outcome.files), outcome.graph?.topSymbols ?? [], tokenBudget);
      const completed = await this.analyses.complete(analysis.id, { fingerprint: outcome.fingerprint, summary: outcome.summary, graph: outcome.graph, map: map.text, files: outcome.files, scanned: outcome.scanned, at: this.clock.now() });
      if (completed) {
        this.remember(analysis.id, outcome);
        await this.record(namespace, analysis, outcome);
        this.logger.log({ sessionKey: analysis.sessionKey, analysisId: analysis.id, files: outcome.summary.files, reused: outcome.summary.reused, ms: outcome.summary.durationMs }, 'codebase analysis completed');
        this.metrics.analysisFiles.add(outcome.summary.files - outcome.summary.reused, { 'baton.analysis.file.reused': false });
        this.metrics.analysisFiles.add(outcome.summary.reused, { 'baton.analysis.file.reused': true });
      }
    } catch (error) {
      outcomeName = isAbort(error) ? 'cancelled' : 'failed';
      if (isAbort(error)) {
        await this.analyses.cancel(analysis.id, this.clock.now());
      } else {
        const message = error instanceof DomainError ? error.message : 'the analysis failed unexpectedly; see the server log';
        this.logger.error({ analysisId: analysis.id, err: (error as Error).message, stack: (error as Error).stack }, 'codebase analysis failed');
        await this.analyses.fail(analysis.id, message, this.clock.now());
      }
    } finally {
      clearInterval(heartbeat);
    }
    await this.prune(analysis);
    this.metrics.analysisDuration.record((performance.now() - started) / 1000, { 'baton.analysis.outcome': outcomeName });
    await this.announce(namespace, analysis);
    return this.find(namespace, analysis.sessionKey, analysis.id);
  }

  private async prune(analysis: AnalysisRecord): Promise<void> {
    try {
      const deleted = await this.analyses.pruneFinished(analysis.sessionId, analysis.root, this.config.codebase.keepPerRoot);
      if (deleted > 0) this.logger.log({ sessionKey: analysis.sessionKey, root: analysis.root, deleted }, 'older codebase analyses pruned');
    } catch (error) {
      // The next finished analysis prunes again; this one stands.
      this.logger.warn({ analysisId: analysis.id, err: (error as Error).message }, 'could not prune older codebase analyses');
    }
  }

  // The ledger entry: a short summary and where the whole analysis is.
  private async record(namespace: string, analysis: AnalysisRecord, outcome: AnalysisOutcome): Promise<void> {
    const uri = analysisUri(analysis.sessionKey, analysis.id);
    const s = outcome.summary;
    const graph = outcome.graph ? `, ${s.edges} import edges, ${s.cycles} import cycle${s.cycles === 1 ? '' : 's'}, ${s.externalPackages} external packages` : '';
    const top = byRank(outcome.files).slice(0, 3).map((f) => f.path);
    const content = [
      `Analysed ${analysis.root} (${analysis.analysisType}): ${s.analyzed} files, ${s.lines} lines, ${s.classes} classes, ${s.functions} functions${graph}; ${s.problems} file${s.problems === 1 ? '' : 's'} with problems.`,
      top.length > 0 ? `Most central: ${top.join(', ')}.` : '',
      `Details: ${uri}`,
    ].filter(Boolean).join(' ');
    try {
      await this.context.append(namespace, { sessionKey: analysis.sessionKey, type: 'analysis', content, metadata: { analysisId: analysis.id, uri, root: analysis.root, analysisType: analysis.analysisType }, idempotencyKey: `analysis-${analysis.id}` });
    } catch (error) {
      // The analysis stays stored and readable; only its ledger pointer is missing.
      if (!(error instanceof DomainError)) throw error;
      this.logger.warn({ sessionKey: analysis.sessionKey, analysisId: analysis.id, err: error.message }, 'could not add the analysis to the session ledger');
    }
  }

  private loadAnalyzer(): Promise<CodebaseAnalyzer> {
    this.analyzer ??= import('./analysis/codebase-analyzer.js').then(({ CodebaseAnalyzer }) => new CodebaseAnalyzer());
    return this.analyzer;
  }

  private async previous(namespace: string, root: string): Promise<PreviousOutcome | null> {
    const reusable = await this.analyses.findReusable(namespace, root);
    if (!reusable) return null;
    return this.recent.get(reusable.id) ?? { fingerprint: reusable.fingerprint, files: await this.analyses.findFiles(reusable.id) };
  }

  private remember(analysisId: string, outcome: AnalysisOutcome): void {
    this.recent.set(analysisId, { fingerprint: outcome.fingerprint, files: outcome.files });
    while (this.recent.size > RECENT_OUTCOMES) this.recent.delete(this.recent.keys().next().value as string);
  }

  private async find(namespace: string, sessionKey: string, analysisId: string): Promise<AnalysisRecord> {
    const analysis =
      analysisId === 'latest'
        ? await this.analyses.findLatest(namespace, sessionKey, false)
        : UUID.test(analysisId)
          ? await this.analyses.findById(namespace, sessionKey, analysisId)
          : null;
    if (analysis && (await this.repair(namespace, analysis))) return (await this.analyses.findById(namespace, sessionKey, analysis.id)) ?? analysis;
    if (analysis) return analysis;
    await this.sessions.get(namespace, sessionKey);
    throw CodebaseError.notFound(sessionKey, analysisId);
  }

  private async view(analysis: AnalysisRecord): Promise<AnalysisView> {
    const files = analysis.status === 'completed' && analysis.summary && analysis.summary.problems > 0 ? await this.analyses.findProblems(analysis.id, PROBLEMS_SHOWN) : [];
    const problems = files.map((f) => ({ path: f.path, status: f.status, problem: f.problem }));
    return { analysis, problems, map: analysis.map, mapTokens: analysis.map ? countTextTokens(analysis.map) : 0 };
  }

  private pageSize(requested: number | undefined): number {
    const { defaultPageSize, maxPageSize } = this.config.limits;
    if (requested === undefined) return defaultPageSize;
    if (!Number.isInteger(requested) || requested < 1 || requested > maxPageSize) {
      throw new CodebaseError(CodebaseErrorCode.InvalidArgument, `limit ${requested} is out of range: ask for 1 to ${maxPageSize} files, or leave it out for ${defaultPageSize}.`);
    }
    return requested;
  }

  private async announce(namespace: string, analysis: AnalysisRecord): Promise<void> {
    await this.events.publish({ namespace, type: CODEBASE_EVENTS.updated, subject: { sessionKey: analysis.sessionKey, analysisId: analysis.id } });
  }

  private tokenBudget(requested: number | undefined): number {
    if (requested === undefined) return this.config.codebase.mapTokens;
    if (!Number.isInteger(requested) || requested < 1 || requested > MAX_TOKEN_BUDGET) {
      throw new CodebaseError(CodebaseErrorCode.InvalidArgument, `tokenBudget ${requested} is out of range: ask for 1 to ${MAX_TOKEN_BUDGET} tokens, or leave it out for ${this.config.codebase.mapTokens}.`);
    }
    return requested;
  }
}

export interface FilesQuery {
  file?: string;
  cursor?: string;
  limit?: number;
}

export interface AnalysisDetail {
  view: AnalysisView;
  files: FileRecord[];
  // Null on the last page.
  nextCursor: string | null;
}

// An opaque position in the files of an analysis (rank, then path).
function encodeFileCursor(file: FilePosition): string {
  return Buffer.from(JSON.stringify([file.rank, file.path])).toString('base64url');
}

function decodeFileCursor(cursor: string): FilePosition {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    position = null;
  }
  if (!Array.isArray(position) || position.length !== 2 || typeof position[0] !== 'number' || !Number.isFinite(position[0]) || typeof position[1] !== 'string') {
    throw new CodebaseError(CodebaseErrorCode.InvalidArgument, 'cursor is not one Baton issued: follow the nextUri (or pass the nextCursor) of the previous page, or leave it out for the first page.');
  }
  return { rank: position[0], path: position[1] };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

function relativeToRoot(root: string, path: string): string {
  const posix = toPosix(path);
  const prefix = `${toPosix(root)}/`;
  return (posix.startsWith(prefix) ? posix.slice(prefix.length) : posix).replace(/^\.\//, '');
}

function chosenImports(file: FileRecord, touched: Set<string>): string {
  return (file.imports?.internal ?? []).map((i) => i.path).filter((p) => touched.has(p)).join(', ');
}

function emptyFacts(): Parameters<typeof symbolsOf>[0] {
  return { lines: 0, exports: [], reExports: [], classes: [], functions: [], interfaces: [], typeAliases: [], enums: [], constants: [], imports: [], syntaxErrors: [] };
}
