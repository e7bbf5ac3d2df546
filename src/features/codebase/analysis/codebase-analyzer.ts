import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

import { pageRank, findCycles, type WeightedGraph } from 'src/features/codebase/analysis/dependency-graph.js';
import { FileScanner, type ScannedFile, type ScanResult } from 'src/features/codebase/analysis/file-scanner.js';
import { ModuleResolver } from 'src/features/codebase/analysis/module-resolver.js';
import { ProjectLayout, rootOutDir } from 'src/features/codebase/analysis/project-layout.js';
import { SourceExtractor } from 'src/features/codebase/analysis/source-extractor.js';
import { exportedSymbols } from 'src/features/codebase/analysis/symbols.js';
import type { AnalysisGraph, AnalysisOutcome, AnalysisRequest, AnalysisSummary, FileFacts, FileRecord, RankedSymbol, ResolvedImports } from 'src/features/codebase/codebase.types.js';
import { comparePaths } from 'src/features/codebase/analysis/paths.js';

// Bumped when extraction changes, so stored facts of an older engine are
// not reused.
export const ENGINE_VERSION = 2;
// A fingerprint is the facts part (engine and globs: what extraction depends
// on) followed by the resolution part (every tsconfig and package.json that
// resolution read): a changed manifest re-resolves imports but re-parses nothing.
const FACTS_FINGERPRINT_LENGTH = 32;
const NO_RESOLUTION = '0'.repeat(16);
const BATCH = 64;
const BINARY_PROBE_BYTES = 8000;
const TOP_SYMBOLS = 50;

export interface AnalyzeOptions {
  maxFileBytes: number;
  // The allowed root containing `root`: .gitignore files are read up to it, never above.
  boundary: string;
  signal?: AbortSignal;
  onProgress?: (processed: number, total: number) => void | Promise<void>;
}

// An earlier outcome to reuse unchanged files from.
export interface PreviousOutcome {
  fingerprint: string;
  files: FileRecord[];
}

// Runs one analysis: scan, read and hash every file, parse the changed ones,
// resolve imports, then build the graph, its cycles and the ranks. Files are
// handled in batches with a turn of the event loop between them, so other
// requests keep flowing and cancellation is noticed within one batch.
export class CodebaseAnalyzer {
  private readonly scanner = new FileScanner();
  private readonly extractor = new SourceExtractor();

  // How many files an analysis of the request would read: a scan only.
  async count(request: Omit<AnalysisRequest, 'analysisType'>, boundary: string): Promise<number> {
    return (await this.scan(request, rootOutDir(request.root), boundary)).files.length;
  }

  async analyze(request: AnalysisRequest, previous: PreviousOutcome | null, options: AnalyzeOptions): Promise<AnalysisOutcome> {
    const started = performance.now();
    const factsFingerprint = createHash('sha256').update(JSON.stringify([ENGINE_VERSION, request.include, request.exclude])).digest('hex').slice(0, FACTS_FINGERPRINT_LENGTH);
    const scan = await this.scan(request, rootOutDir(request.root), options.boundary);
    options.signal?.throwIfAborted();
    const timings = { scanMs: performance.now() - started, readMs: 0, parseMs: 0, resolveMs: 0, graphMs: 0 };

    const sameFacts = previous !== null && previous.fingerprint.slice(0, FACTS_FINGERPRINT_LENGTH) === factsFingerprint;
    const reusable = sameFacts ? new Map(previous.files.map((f) => [f.path, f])) : new Map<string, FileRecord>();
    const total = scan.files.length;
    const records: FileRecord[] = [];
    let reused = 0;
    for (let offset = 0; offset < total; offset += BATCH) {
      const batch = scan.files.slice(offset, offset + BATCH);
      // Synchronous reads: for small source files several times faster than
      // the thread-pool round trips of fs/promises; a batch blocks briefly.
      const readStarted = performance.now();
      const contents = batch.map((file) => readSource(file, options.maxFileBytes));
      const parseStarted = performance.now();
      for (let i = 0; i < batch.length; i++) {
        const record = this.fileRecord(batch[i] as ScannedFile, contents[i] as SourceRead, reusable);
        if (record.reused) reused++;
        records.push(record.file);
      }
      timings.readMs += parseStarted - readStarted;
      timings.parseMs += performance.now() - parseStarted;
      await options.onProgress?.(Math.min(offset + BATCH, total), total);
      await yieldToEventLoop();
      options.signal?.throwIfAborted();
    }
    for (const entry of scan.outsideRoot) records.push(problemRecord(entry.path, 'outside_root', `${entry.reason}; it is not analysed`));
    for (const entry of scan.unreadable) records.push(problemRecord(entry.path, 'unreadable', entry.reason));

    let graph: AnalysisGraph | null = null;
    let fingerprint = factsFingerprint + NO_RESOLUTION;
    const resolveStarted = performance.now();
    if (request.analysisType !== 'structure') {
      const paths = scan.files.map((f) => f.path);
      const layout = new ProjectLayout(request.root, paths, scan.manifestDirectories);
      fingerprint = factsFingerprint + layout.fingerprint;
      // Resolution depends on the file set and the configs too: reuse it only
      // when no file came or went and no tsconfig or package.json changed.
      const sameResolution = previous?.fingerprint === fingerprint && reusable.size === scan.files.length && scan.files.every((f) => reusable.has(f.path));
      let resolver: ModuleResolver | undefined;
      for (const record of records) {
        if (!record.facts) continue;
        const earlier = reusable.get(record.path);
        if (sameResolution && earlier?.contentHash === record.contentHash && earlier.imports) {
          record.imports = earlier.imports;
        } else {
          resolver ??= new ModuleResolver(request.root, layout, paths);
          record.imports = resolveImports(resolver, record.path, record.facts);
        }
      }
      timings.resolveMs = performance.now() - resolveStarted;
      graph = rankGraph(records, layout);
    } else {
      rankByStructure(records);
    }
    timings.graphMs = performance.now() - resolveStarted - timings.resolveMs;
    return { files: records, scanned: total, graph, fingerprint, timings, summary: summarise(records, graph, reused, performance.now() - started) };
  }

  private scan(request: Omit<AnalysisRequest, 'analysisType'>, outDir: string | null, boundary: string): Promise<ScanResult> {
    return this.scanner.scan(request.root, request.include, request.exclude, outDir ? [outDir] : [], boundary);
  }

  private fileRecord(file: ScannedFile, read: SourceRead, reusable: Map<string, FileRecord>): { file: FileRecord; reused: boolean } {
    if (read.kind !== 'text') return { file: problemRecord(file.path, read.kind, read.reason, read.sizeBytes, read.hash), reused: false };
    const earlier = reusable.get(file.path);
    if (earlier && earlier.contentHash === read.hash && earlier.facts) {
      return { file: { ...earlier, imports: earlier.imports, rank: 0 }, reused: true };
    }
    const facts = this.extractor.extract(file.path, read.text);
    const status = facts.syntaxErrors.length > 0 ? 'syntax_error' : 'analyzed';
    const problem = status === 'syntax_error' ? facts.syntaxErrors.map((e) => `line ${e.line}: ${e.message}`).join('; ') : null;
    return { file: { path: file.path, status, sizeBytes: read.sizeBytes, contentHash: read.hash, problem, facts, imports: null, rank: 0 }, reused: false };
  }
}

type SourceRead =
  | { kind: 'text'; text: string; hash: string; sizeBytes: number }
  | { kind: 'binary' | 'too_large' | 'unreadable'; reason: string; sizeBytes: number; hash: string | null };

function readSource(file: ScannedFile, maxFileBytes: number): SourceRead {
  try {
    const info = statSync(file.absolutePath);
    if (info.size > maxFileBytes) return { kind: 'too_large', reason: `${info.size} bytes, above the limit of ${maxFileBytes} (BATON_ANALYSIS_MAX_FILE_BYTES)`, sizeBytes: info.size, hash: null };
    const buffer = readFileSync(file.absolutePath);
    const hash = createHash('sha256').update(buffer).digest('hex');
    // Git's heuristic: a NUL byte early on means binary (e.g. an MPEG-TS video named .ts).
    if (buffer.subarray(0, BINARY_PROBE_BYTES).includes(0)) return { kind: 'binary', reason: 'binary content (a NUL byte in the first 8000 bytes)', sizeBytes: buffer.length, hash };
    return { kind: 'text', text: buffer.toString('utf8'), hash, sizeBytes: buffer.length };
  } catch (error) {
    return { kind: 'unreadable', reason: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, sizeBytes: 0, hash: null };
  }
}

function problemRecord(path: string, status: FileRecord['status'], problem: string, sizeBytes = 0, contentHash: string | null = null): FileRecord {
  return { path, status, sizeBytes, contentHash, problem, facts: null, imports: null, rank: 0 };
}

function resolveImports(resolver: ModuleResolver, path: string, facts: FileFacts): ResolvedImports {
  const internal = new Map<string, { path: string; names: Set<string>; typeOnly: boolean }>();
  const external = new Set<string>();
  const unresolved = new Set<string>();
  for (const fact of facts.imports) {
    const resolution = resolver.resolve(path, fact.specifier, fact.kind);
    if (resolution.kind === 'internal') {
      const existing = internal.get(resolution.path);
      if (existing) {
        for (const name of fact.names) existing.names.add(name);
        existing.typeOnly &&= fact.typeOnly;
      } else {
        internal.set(resolution.path, { path: resolution.path, names: new Set(fact.names), typeOnly: fact.typeOnly });
      }
    } else if (resolution.kind === 'external') {
      external.add(resolution.name);
    } else if (resolution.kind === 'unresolved') {
      unresolved.add(fact.specifier);
    }
  }
  return {
    internal: [...internal.values()].map((i) => ({ path: i.path, names: [...i.names], typeOnly: i.typeOnly })),
    external: [...external],
    unresolved: [...unresolved],
  };
}

// PageRank over the import graph; then each symbol gets the rank that flows
// to its file through imports naming it (a namespace, default or `export *`
// import spreads over all of the file's symbols), plus a small share of its
// file's own rank so unreferenced symbols still order by their file.
function rankGraph(records: FileRecord[], layout: ProjectLayout): AnalysisGraph {
  const parsed = records.filter((r) => r.facts);
  const indexOf = new Map(parsed.map((r, i) => [r.path, i]));
  const graph: WeightedGraph = { nodes: parsed.map((r) => r.path), out: parsed.map(() => []) };
  const packageOf = parsed.map((r) => layout.packageOfFile(r.path)?.name ?? null);
  const filesOfPackage = new Map<string, number>();
  for (const name of packageOf) if (name !== null) filesOfPackage.set(name, (filesOfPackage.get(name) ?? 0) + 1);
  let edges = 0;
  let crossPackageEdges = 0;
  const externalImporters = new Map<string, number>();
  parsed.forEach((record, i) => {
    for (const target of record.imports?.internal ?? []) {
      const j = indexOf.get(target.path);
      if (j === undefined) continue;
      graph.out[i]?.push({ target: j, weight: edgeWeight(target.names) });
      edges++;
      if (packageOf[i] !== packageOf[j]) crossPackageEdges++;
    }
    for (const name of record.imports?.external ?? []) externalImporters.set(name, (externalImporters.get(name) ?? 0) + 1);
  });
  const ranks = pageRank(graph);
  parsed.forEach((record, i) => (record.rank = ranks[i] as number));

  const symbolRank = new Map<string, RankedSymbol>();
  const symbolsByPath = new Map<string, RankedSymbol[]>();
  for (const record of parsed) {
    const symbols = exportedSymbols(record.facts as FileFacts);
    const ranked = symbols.map((s) => ({ path: record.path, name: s.name, kind: s.kind, rank: (0.1 * record.rank) / symbols.length }));
    for (const symbol of ranked) symbolRank.set(`${record.path}#${symbol.name}`, symbol);
    symbolsByPath.set(record.path, ranked);
  }
  parsed.forEach((record, i) => {
    const total = (graph.out[i] as { weight: number }[]).reduce((sum, e) => sum + e.weight, 0);
    (record.imports?.internal ?? []).forEach((target) => {
      if (!indexOf.has(target.path) || total === 0) return;
      const flow = (record.rank * edgeWeight(target.names)) / total;
      const named = target.names.filter((n) => symbolRank.has(`${target.path}#${n}`));
      const spread = named.length > 0 ? named : (symbolsByPath.get(target.path) ?? []).map((s) => s.name);
      for (const name of spread) {
        const symbol = symbolRank.get(`${target.path}#${name}`);
        if (symbol) symbol.rank += flow / spread.length;
      }
    });
  });
  return {
    cycles: findCycles(graph),
    edges,
    crossPackageEdges,
    packages: layout.packages.map((p) => ({ ...p, files: filesOfPackage.get(p.name) ?? 0 })),
    externalPackages: [...externalImporters].map(([name, importers]) => ({ name, importers })).sort((a, b) => b.importers - a.importers || comparePaths(a.name, b.name)),
    topSymbols: [...symbolRank.values()].sort((a, b) => b.rank - a.rank || comparePaths(a.path, b.path)).slice(0, TOP_SYMBOLS),
  };
}

// More names taken means a stronger dependency, with diminishing returns.
function edgeWeight(names: string[]): number {
  return Math.sqrt(Math.max(1, names.length));
}

// Without a graph, files order by what they offer: exported declarations,
// then size. Ranks are scaled to sum to 1 like PageRank's.
function rankByStructure(records: FileRecord[]): void {
  const scores = records.map((r) => (r.facts ? exportedSymbols(r.facts).length + Math.log2(1 + r.facts.lines) / 10 : 0));
  const sum = scores.reduce((a, b) => a + b, 0) || 1;
  records.forEach((r, i) => (r.rank = (scores[i] as number) / sum));
}

function summarise(records: FileRecord[], graph: AnalysisGraph | null, reused: number, durationMs: number): AnalysisSummary {
  const summary: AnalysisSummary = { files: records.length, lines: 0, analyzed: 0, reused, problems: 0, classes: 0, functions: 0, interfaces: 0, typeAliases: 0, enums: 0, edges: graph?.edges ?? 0, cycles: graph?.cycles.length ?? 0, externalPackages: graph?.externalPackages.length ?? 0, durationMs: Math.round(durationMs) };
  for (const record of records) {
    if (record.status !== 'analyzed') summary.problems++;
    if (!record.facts) continue;
    summary.analyzed++;
    summary.lines += record.facts.lines;
    summary.classes += record.facts.classes.length;
    summary.functions += record.facts.functions.length;
    summary.interfaces += record.facts.interfaces.length;
    summary.typeAliases += record.facts.typeAliases.length;
    summary.enums += record.facts.enums.length;
  }
  return summary;
}
