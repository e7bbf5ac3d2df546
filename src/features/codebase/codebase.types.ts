// structure: what each file declares; dependencies: the import graph, its
// cycles and file ranks; full: both, plus the ranked map of files and symbols.
export const ANALYSIS_TYPES = ['structure', 'dependencies', 'full'] as const;
export type AnalysisType = (typeof ANALYSIS_TYPES)[number];

export const ANALYSIS_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];

// Per-file outcome. Only `analyzed` and `syntax_error` files carry facts
// (a file with syntax errors is still parsed as far as it goes).
export const FILE_STATUSES = ['analyzed', 'syntax_error', 'binary', 'too_large', 'unreadable', 'outside_root'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export interface FunctionFact {
  name: string;
  signature: string;
  line: number;
  complexity: number;
  exported: boolean;
}

export interface MethodFact {
  name: string;
  signature: string;
  line: number;
  complexity: number;
}

export interface ClassFact {
  name: string;
  line: number;
  exported: boolean;
  extends: string | null;
  implements: string[];
  methods: MethodFact[];
}

export interface DeclarationFact {
  name: string;
  line: number;
  exported: boolean;
}

export type ImportKind = 'import' | 're-export' | 'dynamic' | 'require';

export interface ImportFact {
  specifier: string;
  // Names taken from the target: 'default', '*' for a namespace or `export *`,
  // none for a side-effect import.
  names: string[];
  typeOnly: boolean;
  kind: ImportKind;
}

export interface SyntaxProblem {
  line: number;
  message: string;
}

// What one file declares and imports; depends on its content only.
export interface FileFacts {
  lines: number;
  // Names the file exports (`default` for a default export).
  exports: string[];
  // Specifiers of `export * from "x"`: everything x exports, under its own names.
  reExports: string[];
  classes: ClassFact[];
  functions: FunctionFact[];
  interfaces: DeclarationFact[];
  typeAliases: DeclarationFact[];
  enums: DeclarationFact[];
  constants: DeclarationFact[];
  imports: ImportFact[];
  syntaxErrors: SyntaxProblem[];
}

export interface InternalImport {
  path: string;
  names: string[];
  typeOnly: boolean;
}

// A file's imports resolved against the analysed tree and its tsconfig.
export interface ResolvedImports {
  internal: InternalImport[];
  external: string[];
  unresolved: string[];
}

// Paths are relative to the analysed root, with forward slashes.
export interface FileRecord {
  path: string;
  status: FileStatus;
  sizeBytes: number;
  contentHash: string | null;
  problem: string | null;
  facts: FileFacts | null;
  imports: ResolvedImports | null;
  rank: number;
}

export interface RankedSymbol {
  path: string;
  name: string;
  kind: 'class' | 'function' | 'interface' | 'type' | 'enum' | 'constant';
  rank: number;
}

export interface AnalysisGraph {
  // Strongly connected components of more than one file (or a file importing itself).
  cycles: string[][];
  edges: number;
  // Edges between files of two workspace packages (or a package and files
  // outside every package), and the workspace packages found.
  crossPackageEdges?: number;
  packages?: { name: string; path: string; files: number }[];
  externalPackages: { name: string; importers: number }[];
  topSymbols: RankedSymbol[];
}

export interface AnalysisSummary {
  files: number;
  lines: number;
  analyzed: number;
  reused: number;
  problems: number;
  classes: number;
  functions: number;
  interfaces: number;
  typeAliases: number;
  enums: number;
  edges: number;
  cycles: number;
  externalPackages: number;
  durationMs: number;
}

// The whole outcome of one run, as the analyzer produces it.
export interface AnalysisOutcome {
  files: FileRecord[];
  // Files the scan found and read (what progress counts).
  scanned: number;
  // Where the time went: listing, reading and hashing, parsing, resolving
  // imports, and graph, cycles and ranks.
  timings: { scanMs: number; readMs: number; parseMs: number; resolveMs: number; graphMs: number };
  graph: AnalysisGraph | null;
  summary: AnalysisSummary;
  // The setting fingerprint (tsconfig, globs): files may be reused only
  // from an outcome with the same fingerprint.
  fingerprint: string;
}

export interface AnalysisRequest {
  root: string;
  include: string[];
  exclude: string[];
  analysisType: AnalysisType;
}

export interface AnalysisRecord {
  id: string;
  sessionId: string;
  sessionKey: string;
  root: string;
  analysisType: AnalysisType;
  include: string[];
  exclude: string[];
  status: AnalysisStatus;
  jobId: string | null;
  progress: AnalysisProgress;
  summary: AnalysisSummary | null;
  graph: AnalysisGraph | null;
  map: string | null;
  fingerprint: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  heartbeatAt: Date | null;
  completedAt: Date | null;
}

export interface AnalysisProgress {
  processed: number;
  total: number;
}

export interface StartAnalysisInput extends AnalysisRequest {
  sessionKey: string;
  tokenBudget?: number;
}

// What analyze_codebase answers: a finished analysis, or a queued job.
export interface AnalysisView {
  analysis: AnalysisRecord;
  problems: Pick<FileRecord, 'path' | 'status' | 'problem'>[];
  map: string | null;
  mapTokens: number;
}

export interface HighlightFile {
  path: string;
  // central: no touched file was given, so the top-ranked files stand in.
  reason: 'touched' | 'dependent' | 'central';
  rank: number;
  lines: number;
  // Files of the touched set this one imports (for dependents).
  imports: string[];
  symbols: string[];
}

// Ranked highlights of a session's latest analysis for a handoff package.
export interface CodebaseHighlights {
  analysisId: string;
  uri: string;
  root: string;
  completedAt: Date;
  files: HighlightFile[];
  topSymbols: RankedSymbol[];
  cycles: string[][];
  text: string;
  tokenCount: number;
}
