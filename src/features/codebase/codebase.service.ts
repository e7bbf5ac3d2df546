import { Inject, Injectable, Logger } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { Clock } from 'src/platform/clock/clock.js';
import { DomainError } from 'src/platform/errors/domain-error.js';
import { EventBusService } from 'src/platform/events/event-bus.service.js';
import { QueueService } from 'src/platform/queue/queue.service.js';
import { countTextTokens } from 'src/platform/tokens/token-counter.js';
import { grantRoot } from 'src/features/codebase/analysis/allowed-roots.js';
import type { CodebaseAnalyzer, PreviousOutcome } from 'src/features/codebase/analysis/codebase-analyzer.js';
import { toPosix } from 'src/features/codebase/analysis/paths.js';
import { byRank, renderMap } from 'src/features/codebase/analysis/repo-map.js';
import { symbolsOf } from 'src/features/codebase/analysis/symbols.js';
import { CodebaseError, CodebaseErrorCode } from 'src/features/codebase/codebase.errors.js';
import { CodebaseRepository } from 'src/features/codebase/codebase.repository.js';
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

export interface AnalysisHooks {
  signal?: AbortSignal;
  onProgress?: (processed: number, total: number) => Promise<void>;
}

export const analysisUri = (sessionKey: string, analysisId: string): string => `handoff://sessions/${encodeURIComponent(sessionKey)}/analyses/${analysisId}`;

@Injectable()
export class CodebaseService {
  private readonly logger = new Logger(CodebaseService.name);
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
      const status = await this.analyses.recordProgress(analysis.id, processed, total);
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

  // The analysis with its files, for the analysis resource; `file` narrows
  // the files to one, with everything extracted from it.
  async detail(namespace: string, sessionKey: string, analysisId: string, file?: string): Promise<{ view: AnalysisView; files: FileRecord[] }> {
    const analysis = await this.find(namespace, sessionKey, analysisId);
    const files = analysis.status === 'completed' ? await this.analyses.findFiles(analysis.id) : [];
    if (file !== undefined) {
      const one = files.find((f) => f.path === file);
      if (!one) throw new CodebaseError(CodebaseErrorCode.InvalidArgument, `The analysis has no file "${file}". Give a path relative to the analysed root, as listed in the analysis.`);
      return { view: this.viewOf(analysis, files), files: [one] };
    }
    return { view: this.viewOf(analysis, files), files };
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

  private async run(namespace: string, analysis: AnalysisRecord, boundary: string, tokenBudget: number, hooks: AnalysisHooks): Promise<AnalysisRecord> {
    try {
      const previous = await this.previous(namespace, analysis.root);
      const outcome = await (await this.loadAnalyzer()).analyze(analysis, previous, { maxFileBytes: this.config.codebase.maxFileBytes, boundary, signal: hooks.signal, onProgress: hooks.onProgress });
      const map = renderMap(byRank(outcome.files), outcome.graph?.topSymbols ?? [], tokenBudget);
      const completed = await this.analyses.complete(analysis.id, { fingerprint: outcome.fingerprint, summary: outcome.summary, graph: outcome.graph, map: map.text, files: outcome.files, scanned: outcome.scanned, at: this.clock.now() });
      if (completed) {
        this.remember(analysis.id, outcome);
        await this.record(namespace, analysis, outcome);
        this.logger.log({ sessionKey: analysis.sessionKey, analysisId: analysis.id, files: outcome.summary.files, reused: outcome.summary.reused, ms: outcome.summary.durationMs }, 'codebase analysis completed');
      }
    } catch (error) {
      if (isAbort(error)) {
        await this.analyses.cancel(analysis.id, this.clock.now());
      } else {
        const message = error instanceof DomainError ? error.message : 'the analysis failed unexpectedly; see the server log';
        this.logger.error({ analysisId: analysis.id, err: (error as Error).message, stack: (error as Error).stack }, 'codebase analysis failed');
        await this.analyses.fail(analysis.id, message, this.clock.now());
      }
    }
    await this.announce(namespace, analysis);
    return this.find(namespace, analysis.sessionKey, analysis.id);
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
    if (analysis) return analysis;
    await this.sessions.get(namespace, sessionKey);
    throw CodebaseError.notFound(sessionKey, analysisId);
  }

  private async view(analysis: AnalysisRecord): Promise<AnalysisView> {
    const files = analysis.status === 'completed' && analysis.summary && analysis.summary.problems > 0 ? await this.analyses.findFiles(analysis.id) : [];
    return this.viewOf(analysis, files);
  }

  private viewOf(analysis: AnalysisRecord, files: FileRecord[]): AnalysisView {
    const problems = files.filter((f) => f.status !== 'analyzed').slice(0, PROBLEMS_SHOWN).map((f) => ({ path: f.path, status: f.status, problem: f.problem }));
    return { analysis, problems, map: analysis.map, mapTokens: analysis.map ? countTextTokens(analysis.map) : 0 };
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
  return { lines: 0, exports: [], classes: [], functions: [], interfaces: [], typeAliases: [], enums: [], constants: [], imports: [], syntaxErrors: [] };
}
