import { CodebaseAnalyzer } from 'src/features/codebase/analysis/codebase-analyzer.js';
import { byRank, renderMap } from 'src/features/codebase/analysis/repo-map.js';
import type { AnalysisOutcome, FileRecord } from 'src/features/codebase/codebase.types.js';
import { copySampleProject, type CodebaseCopy } from 'test/support/codebase-fixture.js';

const analyzer = new CodebaseAnalyzer();
let project: CodebaseCopy;
let outcome: AnalysisOutcome;

async function analyze(root: string, extra: Partial<{ maxFileBytes: number; signal: AbortSignal; analysisType: 'structure' | 'full'; previous: AnalysisOutcome }> = {}): Promise<AnalysisOutcome> {
  return analyzer.analyze(
    { root, include: [], exclude: [], analysisType: extra.analysisType ?? 'full' },
    extra.previous ? { fingerprint: extra.previous.fingerprint, files: extra.previous.files } : null,
    { maxFileBytes: extra.maxFileBytes ?? 1024 * 1024, boundary: root, signal: extra.signal },
  );
}

function file(result: AnalysisOutcome, path: string): FileRecord {
  const found = result.files.find((f) => f.path === path);
  if (!found) throw new Error(`${path} is not in the analysis: ${result.files.map((f) => f.path).join(', ')}`);
  return found;
}

beforeAll(async () => {
  project = copySampleProject();
  outcome = await analyze(project.root);
});

afterAll(() => project.remove());

describe('CodebaseAnalyzer', () => {
  it('extracts classes with extends, implements, methods and their complexity', () => {
    const facts = file(outcome, 'src/models/user.ts').facts;
    expect(facts?.classes).toEqual([
      expect.objectContaining({
        name: 'User',
        exported: true,
        extends: 'Base',
        implements: ['Named'],
        methods: [
          expect.objectContaining({ name: 'constructor', complexity: 1 }),
          expect.objectContaining({ name: 'isAdmin', signature: 'get isAdmin(): boolean', complexity: 1 }),
          // if + || + for + if + ??
          expect.objectContaining({ name: 'rename', signature: 'rename(next: string): User', complexity: 6, line: 23 }),
        ],
      }),
    ]);
    expect(facts?.constants.map((c) => c.name)).toEqual(['MAX_NAME', 'UserSchema']);
    expect(facts?.exports.sort()).toEqual(['User', 'UserSchema']);
    expect(facts?.lines).toBe(34);
  });

  it('extracts functions with signatures (arrow functions included), interfaces, type aliases and enums', () => {
    expect(file(outcome, 'src/lib/greet.ts').facts?.functions).toEqual([
      { name: 'greet', signature: 'greet(name: string, loud = false, level: Level = Level.Low): string', line: 3, complexity: 3, exported: true },
    ]);
    expect(file(outcome, 'src/cycle/b.ts').facts?.functions).toEqual([expect.objectContaining({ name: 'pong', signature: 'pong(n: number): number', complexity: 2 })]);
    const role = file(outcome, 'src/models/role.ts').facts;
    expect(role?.interfaces.map((i) => i.name)).toEqual(['Named']);
    expect(role?.typeAliases.map((t) => t.name)).toEqual(['Role']);
    expect(role?.enums.map((e) => e.name)).toEqual(['Level']);
  });

  it('resolves tsconfig paths, index files, .js specifiers of .ts sources, re-exports and dynamic imports, and names external packages', () => {
    const index = file(outcome, 'src/index.ts').imports;
    expect(index?.internal.map((i) => i.path).sort()).toEqual(['src/cycle/a.ts', 'src/legacy/index.js', 'src/lib/greet.ts', 'src/models/index.ts']);
    expect(index?.internal.find((i) => i.path === 'src/lib/greet.ts')?.names).toEqual(['greet']);
    // `export *` is a re-export of the target's names, not an export of its own.
    expect(file(outcome, 'src/index.ts').facts?.reExports).toEqual(['./models/index.js']);
    expect(file(outcome, 'src/index.ts').facts?.exports.sort()).toEqual(['VERSION', 'greet', 'main']);
    expect(file(outcome, 'src/models/index.ts').imports?.internal.map((i) => i.path).sort()).toEqual(['src/models/role.ts', 'src/models/user.ts']);
    expect(file(outcome, 'src/models/user.ts').imports?.external.sort()).toEqual(['node:events', 'zod']);
    expect(file(outcome, 'src/legacy/index.js').imports?.external).toEqual(['node:path']);
    expect(outcome.files.flatMap((f) => f.imports?.unresolved ?? [])).toEqual([]);
  });

  it('finds the import cycle and ranks the files everything depends on highest', () => {
    expect(outcome.graph?.cycles).toEqual([['src/cycle/a.ts', 'src/cycle/b.ts']]);
    const rankOf = (path: string): number => file(outcome, path).rank;
    expect(rankOf('src/models/role.ts')).toBeGreaterThan(rankOf('src/models/user.ts'));
    expect(rankOf('src/models/base.ts')).toBeGreaterThan(rankOf('src/index.ts'));
    expect(outcome.graph?.externalPackages.map((p) => p.name).sort()).toEqual(['node:events', 'node:path', 'zod']);
    expect(outcome.graph?.topSymbols.some((s) => s.path === 'src/models/role.ts' && s.name === 'Level')).toBe(true);
  });

  it('reports a syntax error, a binary file and a symlink leaving the root per file, and analyses the rest', () => {
    expect(file(outcome, 'src/broken.ts')).toMatchObject({ status: 'syntax_error', problem: expect.stringContaining('line 3:') });
    expect(file(outcome, 'src/broken.ts').facts?.functions.map((f) => f.name)).toEqual(['halfWritten']);
    expect(file(outcome, 'src/intro-video.ts')).toMatchObject({ status: 'binary', facts: null });
    expect(file(outcome, 'src/outside.ts')).toMatchObject({ status: 'outside_root', facts: null });
    expect(outcome.summary).toMatchObject({ analyzed: 10, problems: 3, cycles: 1 });
  });

  it('skips .gitignore\'d files, dependencies and the tsconfig outDir', () => {
    const paths = outcome.files.map((f) => f.path);
    expect(paths).not.toContain('src/settings.local.ts');
    expect(paths.some((p) => p.startsWith('secrets/') || p.startsWith('node_modules/') || p.startsWith('compiled/'))).toBe(false);
  });

  it('reports files above the size limit without reading them as source', async () => {
    const small = await analyze(project.root, { maxFileBytes: 400 });
    expect(file(small, 'src/models/user.ts')).toMatchObject({ status: 'too_large', problem: expect.stringContaining('above the limit of 400') });
    expect(file(small, 'src/cycle/a.ts').status).toBe('analyzed');
  });

  it('reuses unchanged files by content hash and patches the graph around a changed one', async () => {
    const copy = copySampleProject();
    try {
      const first = await analyze(copy.root);
      copy.write('src/lib/greet.ts', "import { ping } from '../cycle/a.js';\nexport function greet(name: string): string {\n  return name + ping(1);\n}\n");
      const second = await analyze(copy.root, { previous: first });
      expect(second.summary.reused).toBe(first.summary.analyzed - 1);
      expect(file(second, 'src/lib/greet.ts').facts?.functions[0]?.signature).toBe('greet(name: string): string');
      expect(file(second, 'src/lib/greet.ts').imports?.internal.map((i) => i.path)).toEqual(['src/cycle/a.ts']);
      expect(file(second, 'src/models/user.ts').facts).toEqual(file(first, 'src/models/user.ts').facts);
      expect(second.graph?.edges).toBe(first.graph?.edges);
    } finally {
      copy.remove();
    }
  });

  it('re-resolves imports when files come or go, so a new target is found', async () => {
    const copy = copySampleProject();
    try {
      copy.write('src/late.ts', "import { later } from './later.js';\nimport data from './data.json';\nexport const value = later + data.length;\n");
      const first = await analyze(copy.root);
      // A JSON import is not code to analyse, and not a broken import either.
      expect(file(first, 'src/late.ts').imports?.unresolved).toEqual(['./later.js']);
      copy.write('src/later.ts', 'export const later = 1;\n');
      const second = await analyze(copy.root, { previous: first });
      expect(file(second, 'src/late.ts').imports?.internal.map((i) => i.path)).toEqual(['src/later.ts']);
    } finally {
      copy.remove();
    }
  });

  it('stops with an abort error once the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(analyze(project.root, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('ranks by declarations alone for a structure analysis, without a graph', async () => {
    const structure = await analyze(project.root, { analysisType: 'structure' });
    expect(structure.graph).toBeNull();
    expect(file(structure, 'src/models/user.ts').imports).toBeNull();
    expect(file(structure, 'src/models/role.ts').rank).toBeGreaterThan(file(structure, 'src/cycle/b.ts').rank);
  });

  it('renders a map of the highest-ranked files within the token budget', () => {
    const map = renderMap(byRank(outcome.files), outcome.graph?.topSymbols ?? [], 60);
    expect(map.tokens).toBeLessThanOrEqual(60);
    expect(map.files).toBeGreaterThan(0);
    const first = outcome.files.filter((f) => f.facts).sort((a, b) => b.rank - a.rank)[0] as FileRecord;
    expect(map.text.startsWith(first.path)).toBe(true);
    const whole = renderMap(byRank(outcome.files), outcome.graph?.topSymbols ?? [], 100_000);
    expect(whole.files).toBe(10);
    expect(whole.text).toContain('  class User extends Base implements Named\n    constructor(');
  });
});
