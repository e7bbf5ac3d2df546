import { compilerEdges } from 'bench/support/compiler-edges.js';
import { CodebaseAnalyzer } from 'src/features/codebase/analysis/codebase-analyzer.js';
import type { AnalysisOutcome, FileRecord } from 'src/features/codebase/codebase.types.js';
import { copyWorkspaceProject, type CodebaseCopy } from 'test/support/codebase-fixture.js';

let project: CodebaseCopy;
let outcome: AnalysisOutcome;

function file(path: string): FileRecord {
  const found = outcome.files.find((f) => f.path === path);
  if (!found) throw new Error(`${path} is not in the analysis: ${outcome.files.map((f) => f.path).join(', ')}`);
  return found;
}

const targetsOf = (path: string): string[] => (file(path).imports?.internal ?? []).map((i) => i.path).sort();

beforeAll(async () => {
  project = copyWorkspaceProject();
  outcome = await new CodebaseAnalyzer().analyze({ root: project.root, include: [], exclude: [], analysisType: 'full' }, null, { maxFileBytes: 1024 * 1024, boundary: project.root });
});

afterAll(() => project.remove());

describe('ModuleResolver in a pnpm-style workspace', () => {
  it('finds exactly the file-to-file edges the TypeScript resolver finds, for every file of every package', () => {
    const parsed = outcome.files.filter((f) => f.facts).map((f) => f.path);
    expect(parsed).toHaveLength(20);
    const expected = compilerEdges(project.root, parsed);
    for (const [path, targets] of expected) expect({ path, targets: targetsOf(path) }).toEqual({ path, targets: [...targets].sort() });
  });

  it('resolves self-imports through exports, #internal imports, paths of the importing package and cross-package imports by condition', () => {
    expect(targetsOf('packages/core/src/index.ts')).toEqual(['packages/core/src/format.ts', 'packages/core/src/internal/secret.ts', 'packages/core/src/level.ts', 'packages/ui/src/button.ts']);
    // CommonJS under node16 takes the "require" condition; ESM and bundler take "import".
    expect(targetsOf('packages/app/src/main.ts')).toEqual(['packages/app/src/config/port.ts', 'packages/app/src/helpers/env.ts', 'packages/core/src/format.cts', 'packages/core/src/index.ts', 'packages/ui/src/button.ts']);
    expect(targetsOf('packages/ui/src/button.ts')).toEqual(['packages/core/src/format.ts', 'packages/core/src/index.ts']);
    // typesVersions of a package without exports; ui's own paths alias.
    expect(targetsOf('packages/ui/src/index.ts')).toEqual(['packages/app/src/helpers/env.ts', 'packages/ui/src/button.ts']);
    // Subpaths of a package that maps none: TypeScript before JavaScript, a
    // file before a directory's index, a directory's own package.json first,
    // and a file under ui's baseUrl before them all.
    expect(targetsOf('packages/ui/src/plain-user.ts')).toEqual(['packages/plain/src/script/index.ts', 'packages/plain/src/typed/types.d.ts', 'packages/plain/src/util.ts', 'packages/ui/@acme/plain/src/dir.ts']);
  });

  it('keeps dependencies external and reports #imports the package does not declare as unresolved', () => {
    expect(file('packages/app/src/main.ts').imports?.external).toEqual(['left-pad']);
    expect(file('packages/app/src/legacy.js').imports?.unresolved).toEqual(['#internal/secret']);
    expect(targetsOf('packages/app/src/legacy.js')).toEqual(['packages/core/src/index.ts']);
  });

  it('builds one graph over the repository: the cycle across two packages, cross-package edges, the workspace packages', () => {
    expect(outcome.graph?.cycles).toEqual([['packages/core/src/index.ts', 'packages/ui/src/button.ts']]);
    expect(outcome.graph?.packages).toEqual([
      { name: '@acme/app', path: 'packages/app', files: 4 },
      { name: '@acme/core', path: 'packages/core', files: 5 },
      { name: '@acme/plain', path: 'packages/plain', files: 7 },
      { name: '@acme/ui', path: 'packages/ui', files: 4 },
    ]);
    expect(outcome.graph?.crossPackageEdges).toBe(11);
    expect(outcome.graph?.externalPackages.map((p) => p.name)).toEqual(['left-pad']);
  });

  it('applies the referenced project of a solution-style tsconfig, extending a config from a workspace package', async () => {
    const copy = copyWorkspaceProject();
    try {
      copy.write('packages/config/package.json', JSON.stringify({ name: '@acme/config' }));
      copy.write('packages/config/lib.json', JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', paths: { '@lib/*': ['${configDir}/src/*'] } } }));
      copy.write('packages/ui/tsconfig.json', JSON.stringify({ files: [], references: [{ path: './tsconfig.lib.json' }] }));
      copy.write('packages/ui/tsconfig.lib.json', JSON.stringify({ extends: '@acme/config/lib.json', include: ['src'] }));
      copy.write('packages/ui/src/index.ts', "export { Button } from '@lib/button';\n");
      const request = { root: copy.root, include: [], exclude: [], analysisType: 'full' as const };
      const options = { maxFileBytes: 1024 * 1024, boundary: copy.root };
      const result = await new CodebaseAnalyzer().analyze(request, null, options);
      const index = result.files.find((f) => f.path === 'packages/ui/src/index.ts');
      expect(index?.imports?.internal.map((i) => i.path)).toEqual(['packages/ui/src/button.ts']);
      expect(index?.imports?.external).toEqual([]);
      // The referenced config is part of what resolution depends on.
      copy.write('packages/ui/tsconfig.lib.json', JSON.stringify({ extends: '@acme/config/lib.json', include: ['src'], compilerOptions: { paths: { '@lib/*': ['./missing/*'] } } }));
      const again = await new CodebaseAnalyzer().analyze(request, { fingerprint: result.fingerprint, files: result.files }, options);
      expect(again.fingerprint).not.toBe(result.fingerprint);
      expect(again.files.find((f) => f.path === 'packages/ui/src/index.ts')?.imports?.unresolved).toEqual(['@lib/button']);
    } finally {
      copy.remove();
    }
  });

  it('re-resolves imports when a package.json changes, without parsing any file again', async () => {
    const analyzer = new CodebaseAnalyzer();
    const request = { root: project.root, include: [], exclude: [], analysisType: 'full' as const };
    const options = { maxFileBytes: 1024 * 1024, boundary: project.root };
    const first = await analyzer.analyze(request, null, options);
    project.write('packages/core/package.json', JSON.stringify({ name: '@acme/core', type: 'module', exports: { '.': './src/level.ts', './format': './src/format.ts' } }));
    const second = await analyzer.analyze(request, { fingerprint: first.fingerprint, files: first.files }, options);
    expect(second.summary.reused).toBe(second.summary.analyzed);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    const button = second.files.find((f) => f.path === 'packages/ui/src/button.ts');
    expect(button?.imports?.internal.map((i) => i.path).sort()).toEqual(['packages/core/src/format.ts', 'packages/core/src/level.ts']);
  });
});
