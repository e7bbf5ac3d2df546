import { z } from 'zod';

import { analysisUri } from 'src/features/codebase/codebase.service.js';
import { ANALYSIS_STATUSES, ANALYSIS_TYPES, FILE_STATUSES, type AnalysisView, type FileRecord } from 'src/features/codebase/codebase.types.js';

const CYCLES_SHOWN = 20;
const PACKAGES_SHOWN = 30;

export const AnalysisIdSchema = z.string().min(1).max(64);

const SummarySchema = z.object({
  files: z.number().int(),
  lines: z.number().int(),
  analyzed: z.number().int().describe('Files parsed (including those with syntax errors)'),
  reused: z.number().int().describe('Files unchanged since an earlier analysis of the same root, not parsed again'),
  problems: z.number().int().describe('Files with a syntax error, binary, too large, unreadable or outside the root'),
  classes: z.number().int(),
  functions: z.number().int(),
  interfaces: z.number().int(),
  typeAliases: z.number().int(),
  enums: z.number().int(),
  edges: z.number().int().describe('Import edges between analysed files'),
  cycles: z.number().int(),
  externalPackages: z.number().int(),
  durationMs: z.number().int(),
});

export const AnalysisResultSchema = z.object({
  analysisId: z.string(),
  sessionKey: z.string(),
  status: z.enum(ANALYSIS_STATUSES).describe('queued and running analyses are still under way; poll get_analysis_status or subscribe to uri'),
  analysisType: z.enum(ANALYSIS_TYPES),
  root: z.string(),
  jobId: z.string().nullable().describe('Background job id when the codebase was large enough to be analysed in the background'),
  progress: z.object({ processed: z.number().int(), total: z.number().int() }).describe('Files processed so far, of total'),
  uri: z.string().describe('Resource with the whole analysis, file by file'),
  summary: SummarySchema.nullable(),
  cycles: z.array(z.array(z.string())).describe(`Import cycles (files of each), the first ${CYCLES_SHOWN}`),
  externalPackages: z.array(z.object({ name: z.string(), importers: z.number().int() })).describe(`Packages imported, by how many files import them, the first ${PACKAGES_SHOWN}`),
  problems: z.array(z.object({ path: z.string(), status: z.enum(FILE_STATUSES), problem: z.string().nullable() })).describe('Files that could not be (fully) analysed, and why'),
  map: z.string().nullable().describe('Ranked map of the codebase: the most central files first, with their symbols and signatures'),
  mapTokens: z.number().int(),
  error: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});
export type AnalysisResult = z.infer<typeof AnalysisResultSchema>;

export function toAnalysisResult(view: AnalysisView): AnalysisResult {
  const { analysis } = view;
  return {
    analysisId: analysis.id,
    sessionKey: analysis.sessionKey,
    status: analysis.status,
    analysisType: analysis.analysisType,
    root: analysis.root,
    jobId: analysis.jobId,
    progress: analysis.progress,
    uri: analysisUri(analysis.sessionKey, analysis.id),
    summary: analysis.summary,
    cycles: (analysis.graph?.cycles ?? []).slice(0, CYCLES_SHOWN),
    externalPackages: (analysis.graph?.externalPackages ?? []).slice(0, PACKAGES_SHOWN),
    problems: view.problems,
    map: view.map,
    mapTokens: view.mapTokens,
    error: analysis.error,
    createdAt: analysis.createdAt.toISOString(),
    completedAt: analysis.completedAt?.toISOString() ?? null,
  };
}

export function renderAnalysis(result: AnalysisResult): string {
  const head = `Analysis ${result.analysisId} of ${result.root} (${result.analysisType}) is ${result.status}`;
  if (result.status === 'queued' || result.status === 'running') {
    return `${head}: ${result.progress.processed}/${result.progress.total} files${result.jobId ? ` (job ${result.jobId})` : ''}. Poll get_analysis_status or read ${result.uri}.`;
  }
  if (result.status !== 'completed' || !result.summary) return `${head}${result.error ? `: ${result.error}` : ''}.`;
  const s = result.summary;
  const lines = [
    `${head}: ${s.analyzed} files, ${s.lines} lines (${s.reused} reused), ${s.classes} classes, ${s.functions} functions, ${s.edges} import edges, ${s.cycles} cycles, ${s.problems} problem files. Full details: ${result.uri}`,
    ...result.cycles.map((c) => `Cycle: ${c.join(' -> ')}`),
    ...result.problems.map((p) => `Problem: ${p.path} [${p.status}] ${p.problem ?? ''}`.trim()),
    ...(result.map ? ['', result.map] : []),
  ];
  return lines.join('\n');
}

// A file as the analysis resource lists it; `full` adds everything extracted.
export function toFileView(file: FileRecord, full: boolean): Record<string, unknown> {
  const facts = file.facts;
  return {
    path: file.path,
    status: file.status,
    rank: file.rank,
    lines: facts?.lines ?? null,
    sizeBytes: file.sizeBytes,
    contentHash: file.contentHash,
    problem: file.problem,
    exports: facts?.exports ?? [],
    reExports: facts?.reExports ?? [],
    imports: (file.imports?.internal ?? []).map((i) => i.path),
    externalPackages: file.imports?.external ?? [],
    unresolved: file.imports?.unresolved ?? [],
    ...(full ? { facts, resolvedImports: file.imports } : {}),
  };
}
