// analyze_codebase benchmark: cold analysis of date-fns beside plain
// ts.createSourceFile over the same files (same TypeScript, the one ts-morph
// bundles), ts-morph's node wrappers for comparison, and the cost of
// re-analysing after a one-file change. Every case runs in a fresh Node
// process (cold JIT, cold caches), five times, the cases interleaved; the
// best run of each is reported, since on a shared machine other processes'
// load only ever adds time.
//
//   npm run bench:codebase
//
// Corpora: the TypeScript sources of date-fns in bench/.cache/date-fns/src
// (git-ignored; copy a checkout's src/ and tsconfig there). Without them the
// script downloads the published package with `npm pack` and measures its
// JavaScript files instead, and says so. Then a monorepo: documenso (npm
// workspaces, over 2,000 .ts/.tsx files in a dozen packages) in
// bench/.cache/documenso, measured the same way plus the edges found between
// workspace packages; without it that part is skipped with a message saying
// how to fetch it.
//
//   npm run bench:codebase -- --runs 3    (best of 3 instead of 5)
//   npm run bench:codebase -- --monorepo-only
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Project, ts } from 'ts-morph';

import { CodebaseAnalyzer, type PreviousOutcome } from 'src/features/codebase/analysis/codebase-analyzer.js';
import { FileScanner } from 'src/features/codebase/analysis/file-scanner.js';
import { compilerEdges } from 'bench/support/compiler-edges.js';
import { byRank, renderMap } from 'src/features/codebase/analysis/repo-map.js';

const CACHE = resolve('bench/.cache');
const DEFAULT_RUNS = 5;
const MONOREPO = { name: 'documenso', tag: 'v2.17.0', url: 'https://github.com/documenso/documenso' };
const MAX_FILE_BYTES = 1024 * 1024;

interface Measurement {
  ms: number;
  peakHeapBytes: number;
  retainedHeapBytes: number;
  files: number;
  lines: number;
  extra?: Record<string, number>;
}

interface Corpus {
  root: string;
  description: string;
}

function corpus(): Corpus {
  const sources = join(CACHE, 'date-fns/src');
  if (existsSync(join(sources, 'index.ts'))) {
    const version = (JSON.parse(readFileSync(join(CACHE, 'date-fns/package.json'), 'utf8')) as { version: string }).version;
    return { root: sources, description: `date-fns ${version} TypeScript sources (src/)` };
  }
  const packed = join(CACHE, 'date-fns-npm/package');
  if (!existsSync(packed)) {
    mkdirSync(join(CACHE, 'date-fns-npm'), { recursive: true });
    const tarball = execFileSync('npm', ['pack', 'date-fns@4', '--silent', '--pack-destination', join(CACHE, 'date-fns-npm')], { encoding: 'utf8' }).trim().split('\n').pop() as string;
    execFileSync('tar', ['-xzf', join(CACHE, 'date-fns-npm', tarball), '-C', join(CACHE, 'date-fns-npm')]);
  }
  return { root: packed, description: 'date-fns published npm package (compiled .js; the TypeScript sources were not in bench/.cache/date-fns/src)' };
}

// The monorepo corpus, or null (with the reason) when it is not in the cache.
function monorepoCorpus(): Corpus | string {
  const root = join(CACHE, MONOREPO.name);
  if (!existsSync(join(root, 'package.json'))) {
    return `Monorepo part skipped: no checkout of ${MONOREPO.name} in bench/.cache/${MONOREPO.name}. Fetch it with \`git clone --depth 1 --branch ${MONOREPO.tag} ${MONOREPO.url} bench/.cache/${MONOREPO.name}\` and run again.`;
  }
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string; workspaces?: string[] };
  return { root, description: `${MONOREPO.name} ${manifest.version ?? ''} sources (${MONOREPO.url}; npm workspaces ${JSON.stringify(manifest.workspaces ?? [])}), all .ts/.tsx/.js files` };
}

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

async function listFiles(root: string): Promise<string[]> {
  const scan = await new FileScanner().scan(root, [], [], [], root);
  return scan.files.map((f) => f.absolutePath);
}

// Each case runs in its own process; this is the body of one run.
async function runCase(name: string, root: string): Promise<Measurement> {
  if (name === 'baseline' || name === 'baseline-no-jsdoc') {
    // The analyzer does not parse JSDoc; the second baseline skips it too.
    const options = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: name === 'baseline' ? ts.JSDocParsingMode.ParseAll : ts.JSDocParsingMode.ParseNone };
    const files = await listFiles(root);
    const before = heap();
    let peak = before;
    let lines = 0;
    const started = performance.now();
    for (const [i, file] of files.entries()) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), options, false);
      lines += source.getLineStarts().length;
      if (i % 64 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    const ms = performance.now() - started;
    return { ms, peakHeapBytes: Math.max(peak, process.memoryUsage().heapUsed) - before, retainedHeapBytes: heap() - before, files: files.length, lines };
  }
  if (name === 'ts-morph') {
    const files = await listFiles(root);
    const before = heap();
    const started = performance.now();
    const project = new Project({ useInMemoryFileSystem: true, skipFileDependencyResolution: true, skipAddingFilesFromTsConfig: true, compilerOptions: { allowJs: true } });
    let lines = 0;
    let declarations = 0;
    for (const file of files) {
      const source = project.createSourceFile(file, readFileSync(file, 'utf8'), { overwrite: true });
      lines += source.getEndLineNumber();
      declarations += source.getFunctions().length + source.getClasses().length + source.getInterfaces().length + source.getTypeAliases().length + source.getImportDeclarations().length;
      for (const fn of source.getFunctions()) declarations += fn.getDescendantsOfKind(ts.SyntaxKind.IfStatement).length;
    }
    const ms = performance.now() - started;
    return { ms, peakHeapBytes: process.memoryUsage().heapUsed - before, retainedHeapBytes: heap() - before, files: files.length, lines, extra: { declarations } };
  }
  if (name === 'analyze') {
    const before = heap();
    let peak = before;
    const started = performance.now();
    const outcome = await new CodebaseAnalyzer().analyze({ root, include: [], exclude: [], analysisType: 'full' }, null, {
      maxFileBytes: MAX_FILE_BYTES,
      boundary: root,
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      },
    });
    const ms = performance.now() - started;
    const mapStarted = performance.now();
    const map = renderMap(byRank(outcome.files), outcome.graph?.topSymbols ?? [], 4096);
    const mapMs = performance.now() - mapStarted;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const retained = heap() - before;
    const extra = { edges: outcome.summary.edges, cycles: outcome.summary.cycles, crossPackageEdges: outcome.graph?.crossPackageEdges ?? 0, packages: outcome.graph?.packages?.length ?? 0, mapTokens: map.tokens, mapMs, ...outcome.timings };
    return { ms, peakHeapBytes: peak - before, retainedHeapBytes: retained, files: outcome.summary.analyzed, lines: outcome.summary.lines, extra };
  }
  if (name === 'incremental') {
    // A private copy, so one file can change without touching the corpus.
    const copy = join(CACHE, 'codebase-bench-copy');
    rmSync(copy, { recursive: true, force: true });
    cpSync(root, copy, { recursive: true });
    try {
      const analyzer = new CodebaseAnalyzer();
      const request = { root: copy, include: [], exclude: [], analysisType: 'full' as const };
      const options = { maxFileBytes: MAX_FILE_BYTES, boundary: copy };
      const first = await analyzer.analyze(request, null, options);
      // As the service does after every analysis (it also loads the
      // tokenizer's tables, once per process, before the timed part).
      renderMap(byRank(first.files), first.graph?.topSymbols ?? [], 4096);
      const previous: PreviousOutcome = { fingerprint: first.fingerprint, files: first.files };
      const changed = first.files.filter((f) => f.facts).sort((a, b) => b.rank - a.rank)[0]?.path as string;
      writeFileSync(join(copy, changed), `${readFileSync(join(copy, changed), 'utf8')}\nexport const benchmarkEdit = 1;\n`);
      const started = performance.now();
      const second = await analyzer.analyze(request, previous, options);
      renderMap(byRank(second.files), second.graph?.topSymbols ?? [], 4096);
      const ms = performance.now() - started;
      // Listing the tree and reading + hashing every file is what any
      // re-analysis pays, whatever changed; the target is on the rest.
      const { scanMs, readMs } = second.timings;
      return { ms, peakHeapBytes: 0, retainedHeapBytes: 0, files: second.summary.analyzed, lines: second.summary.lines, extra: { reused: second.summary.reused, scanMs, readMs, beyondMs: ms - scanMs - readMs, parseMs: second.timings.parseMs, resolveMs: second.timings.resolveMs, graphMs: second.timings.graphMs } };
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }
  if (name === 'compiler-edges') return checkEdges(root);
  throw new Error(`unknown case ${name}`);
}

// Not timed: the analyzer's file-to-file edges beside the TypeScript
// resolver's own answers on the real disk, in a copy whose workspace
// packages are linked under node_modules as an install would link them.
async function checkEdges(corpusRoot: string): Promise<Measurement> {
  const root = join(CACHE, 'codebase-bench-links');
  rmSync(root, { recursive: true, force: true });
  cpSync(corpusRoot, root, { recursive: true });
  try {
    const outcome = await new CodebaseAnalyzer().analyze({ root, include: [], exclude: [], analysisType: 'full' }, null, { maxFileBytes: MAX_FILE_BYTES, boundary: root });
    for (const pkg of outcome.graph?.packages ?? []) {
      mkdirSync(dirname(join(root, 'node_modules', pkg.name)), { recursive: true });
      symlinkSync(join(root, pkg.path), join(root, 'node_modules', pkg.name), 'dir');
    }
    const parsed = outcome.files.filter((f) => f.facts);
    const expected = compilerEdges(root, parsed.map((f) => f.path));
    let agreeing = 0;
    let compilerEdgeCount = 0;
    for (const record of parsed) {
      const targets = expected.get(record.path) ?? new Set<string>();
      const found = new Set((record.imports?.internal ?? []).map((i) => i.path));
      compilerEdgeCount += targets.size;
      if (found.size === targets.size && [...found].every((p) => targets.has(p))) agreeing++;
    }
    return { ms: 0, peakHeapBytes: 0, retainedHeapBytes: 0, files: parsed.length, lines: outcome.summary.lines, extra: { agreeing, compilerEdges: compilerEdgeCount, edges: outcome.summary.edges } };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// The measurements of the run that took least time.
function best(runs: Measurement[]): Measurement {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

async function main(): Promise<void> {
  const [, , mode, name, root] = process.argv;
  if (mode === '--case' && name && root) {
    process.stdout.write(JSON.stringify(await runCase(name, root)));
    return;
  }
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : DEFAULT_RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a whole number of runs, at least 1 (got ${process.argv[runsAt + 1]}).`);
  // --monorepo-only: skip date-fns.
  if (!process.argv.includes('--monorepo-only')) process.stdout.write(`${measure(corpus(), runs)}\n`);
  const monorepo = monorepoCorpus();
  process.stdout.write(typeof monorepo === 'string' ? `\n${monorepo}\n` : `\n${measure(monorepo, runs, true)}\n`);
}

function measure({ root: corpusRoot, description }: Corpus, runs: number, checkEdges = false): string {
  const self = fileURLToPath(import.meta.url);
  const check = checkEdges ? (JSON.parse(execFileSync(process.execPath, [self, '--case', 'compiler-edges', corpusRoot], { encoding: 'utf8', maxBuffer: 1 << 20 })) as Measurement) : null;
  const results = new Map<string, Measurement[]>();
  for (let run = 0; run < runs; run++) {
    for (const name of ['baseline', 'baseline-no-jsdoc', 'analyze', 'ts-morph', 'incremental']) {
      const output = execFileSync(process.execPath, ['--expose-gc', self, '--case', name, corpusRoot], { encoding: 'utf8', maxBuffer: 1 << 20 });
      results.set(name, [...(results.get(name) ?? []), JSON.parse(output) as Measurement]);
    }
  }
  const pick = (name: string, key: (m: Measurement) => number): number => key(best(results.get(name) ?? []));
  const baseline = pick('baseline', (m) => m.ms);
  const withoutJsDoc = pick('baseline-no-jsdoc', (m) => m.ms);
  const analyze = pick('analyze', (m) => m.ms);
  const lines = (results.get('analyze')?.[0] as Measurement).lines;
  const files = (results.get('analyze')?.[0] as Measurement).files;
  const kb = (bytes: number): string => (bytes / 1024).toFixed(2);
  const ms = (name: string, key: string): string => pick(name, (m) => m.extra?.[key] ?? 0).toFixed(0);
  const rows = [
    `Corpus: ${description}; ${files} files, ${lines} lines. Node ${process.version}, TypeScript ${ts.version} (bundled by ts-morph). Best of ${runs} runs, each in a fresh process.`,
    '',
    '| case | time (ms) | peak heap / line (KB) | retained heap / line (KB) | notes |',
    '| --- | ---: | ---: | ---: | --- |',
    `| plain \`ts.createSourceFile\` (read + parse, trees dropped) | ${baseline.toFixed(0)} | ${kb(pick('baseline', (m) => m.peakHeapBytes) / lines)} | ${kb(pick('baseline', (m) => m.retainedHeapBytes) / lines)} | baseline |`,
    `| plain \`ts.createSourceFile\`, JSDoc not parsed (as the analyzer parses) | ${withoutJsDoc.toFixed(0)} | ${kb(pick('baseline-no-jsdoc', (m) => m.peakHeapBytes) / lines)} | ${kb(pick('baseline-no-jsdoc', (m) => m.retainedHeapBytes) / lines)} | the stricter baseline |`,
    `| cold analysis, \`full\` (list with .gitignore, read, hash, parse, extract, resolve imports, graph, cycles, PageRank) | ${analyze.toFixed(0)} | ${kb(pick('analyze', (m) => m.peakHeapBytes) / lines)} | ${kb(pick('analyze', (m) => m.retainedHeapBytes) / lines)} | ${(analyze / baseline).toFixed(2)}x the baseline, ${(analyze / withoutJsDoc).toFixed(2)}x the stricter one; ${pick('analyze', (m) => m.extra?.edges ?? 0)} import edges (${pick('analyze', (m) => m.extra?.crossPackageEdges ?? 0)} between the ${pick('analyze', (m) => m.extra?.packages ?? 0)} workspace packages), ${pick('analyze', (m) => m.extra?.cycles ?? 0)} cycles |`,
    `| ts-morph wrappers (in-memory Project, a few getters per file) | ${pick('ts-morph', (m) => m.ms).toFixed(0)} | ${kb(pick('ts-morph', (m) => m.peakHeapBytes) / lines)} | ${kb(pick('ts-morph', (m) => m.retainedHeapBytes) / lines)} | for comparison only |`,
    `| re-analysis after a one-file change (the most central file), map included | ${pick('incremental', (m) => m.ms).toFixed(0)} | | | ${pick('incremental', (m) => m.extra?.reused ?? 0)} files reused; listing ${ms('incremental', 'scanMs')} ms + reading and hashing ${ms('incremental', 'readMs')} ms, then **${ms('incremental', 'beyondMs')} ms beyond them** (parse ${ms('incremental', 'parseMs')}, resolve ${ms('incremental', 'resolveMs')}, graph and ranks ${ms('incremental', 'graphMs')}) |`,
    '',
    `Cold analysis by phase (best run, ms): listing ${ms('analyze', 'scanMs')}, reading and hashing ${ms('analyze', 'readMs')}, parsing and extraction ${ms('analyze', 'parseMs')}, import resolution ${ms('analyze', 'resolveMs')}, graph, cycles and ranks ${ms('analyze', 'graphMs')}; then the 4k-token ranked map took ${ms('analyze', 'mapMs')} ms more (${ms('analyze', 'mapTokens')} tokens; its first use loads the tokenizer's tables). Load average when the run ended: ${loadavg().map((l) => l.toFixed(2)).join(', ')} (${cpus().length} cores).`,
    ...(check ? ['', `Against the TypeScript resolver (workspace packages linked under node_modules, each file under its nearest tsconfig): the analyzer's edges equal the compiler's in ${check.extra?.agreeing}/${check.files} files; ${check.extra?.edges} edges found, ${check.extra?.compilerEdges} by the compiler.`] : []),
  ];
  return rows.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
