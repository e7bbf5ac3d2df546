import { builtinModules } from 'node:module';
import { join, posix, relative } from 'node:path';

import { ts } from 'ts-morph';

import { toPosix } from 'src/features/codebase/analysis/paths.js';
import type { PackageScope, ProjectConfig, ProjectLayout } from 'src/features/codebase/analysis/project-layout.js';
import type { ImportKind } from 'src/features/codebase/codebase.types.js';

// asset: a relative import of something that is not code (JSON, CSS, ...).
export type Resolution = { kind: 'internal'; path: string } | { kind: 'external'; name: string } | { kind: 'asset' } | { kind: 'unresolved' };

const CODE_EXTENSION = /\.([cm]?[jt]sx?)$/;
const ASSET_EXTENSION = /\.(json|css|scss|sass|less|svg|png|jpe?g|gif|webp|html|md|txt|wasm|graphql|gql|vue|svelte)$/i;
// What a relative specifier may name, in the compiler's order of preference.
const EXTENSION_TRIES = ['.ts', '.tsx', '.d.ts', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const JS_TO_TS: Record<string, string[]> = { '.js': ['.ts', '.tsx', '.d.ts'], '.jsx': ['.tsx'], '.mjs': ['.mts', '.d.mts'], '.cjs': ['.cts', '.d.cts'] };

// What the compiler tries for a subpath inside node_modules, TypeScript
// first (file, then directory index), JavaScript second.
const TYPESCRIPT_TRIES = ['.ts', '.tsx', '.d.ts'];
const JAVASCRIPT_TRIES = ['.js', '.jsx'];

const BUILTINS = new Set(builtinModules);

// Resolves import specifiers to files of the analysed set with the
// compiler's own algorithm, under the tsconfig governing the importing file:
// paths and baseUrl, index files, `.js` specifiers naming `.ts` sources, and
// package.json `exports` (with conditions and customConditions), `imports`
// (`#internal`), `typesVersions`, `main` and `types` of workspace packages
// and of the importing file's own package. The layout answers the file-system
// questions from the analysed set.
export class ModuleResolver {
  private readonly relativeFiles: Set<string>;
  private readonly rootPrefix: string;
  private readonly formats = new Map<string, ts.ResolutionMode>();
  // The last importing file's config, absolute path and package scope: a
  // file's imports are resolved together.
  private current: { fromPath: string; config: ProjectConfig; containing: string; scope: PackageScope | null } | null = null;
  // Answers for bare specifiers, which do not depend on the importing
  // directory beyond its resolution options, package scope (for a
  // self-import) and mode (every directory sees the same workspace links):
  // by far most imports of a monorepo.
  // Keyed by the config's resolution key first: that long string is the
  // same object on every lookup (its hash computed once), and the inner key
  // stays short.
  private readonly bare = new Map<string, Map<string, string | null>>();
  private readonly underBaseUrl = new Map<string, boolean>();

  constructor(
    private readonly root: string,
    private readonly layout: ProjectLayout,
    relativePaths: Iterable<string>,
  ) {
    this.relativeFiles = new Set(relativePaths);
    this.rootPrefix = `${toPosix(root)}/`;
  }

  resolve(fromPath: string, specifier: string, kind: ImportKind = 'import'): Resolution {
    if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return { kind: 'external', name: specifier.startsWith('node:') ? specifier : `node:${specifier}` };
    if (this.current?.fromPath !== fromPath) this.current = { fromPath, config: this.layout.configOf(fromPath), containing: join(this.root, fromPath), scope: this.layout.packageScope(fromPath) };
    const { config, containing, scope } = this.current;
    const direct = this.resolveRelative(config, fromPath, containing, specifier, kind);
    if (direct) return { kind: 'internal', path: direct };
    if (isPathLike(specifier) && ASSET_EXTENSION.test(specifier)) return { kind: 'asset' };
    const mapped = config.pathPatterns.some((p) => p.test(specifier));
    const name = packageName(specifier);
    // A bare specifier that no paths pattern maps, that names nothing under
    // baseUrl, and that names neither a workspace package nor the file's own
    // package, can only be a dependency: skip the compiler's node_modules search.
    if (!isPathLike(specifier) && !mapped && !this.layout.isWorkspacePackage(name) && scope?.name !== name && !this.foundUnderBaseUrl(config, specifier)) {
      return { kind: 'external', name };
    }
    const mode = this.modeOf(config, containing, kind);
    // The package scope matters only for a self-import.
    const answers = isPathLike(specifier) ? null : this.answersFor(config);
    const key = `${scope?.name === name ? scope.directory : ''}\0${mode ?? ''}\0${specifier}`;
    let path = answers?.get(key);
    if (path === undefined) {
      path = mapped || isPathLike(specifier) ? null : this.resolveWorkspaceSubpath(config, name, specifier, mode);
      if (path === null) {
        const resolved = ts.resolveModuleName(specifier, containing, config.options, this.layout, config.cache, undefined, mode).resolvedModule;
        // The compiler's paths are normalised, with forward slashes.
        path = resolved?.resolvedFileName.startsWith(this.rootPrefix) ? resolved.resolvedFileName.slice(this.rootPrefix.length) : null;
      }
      answers?.set(key, path);
    }
    if (path !== null && this.relativeFiles.has(path)) return { kind: 'internal', path };
    if (isPathLike(specifier) || mapped) return { kind: 'unresolved' };
    return { kind: 'external', name };
  }

  private answersFor(config: ProjectConfig): Map<string, string | null> {
    let answers = this.bare.get(config.resolutionKey);
    if (!answers) {
      answers = new Map();
      this.bare.set(config.resolutionKey, answers);
    }
    return answers;
  }

  // The common import of a monorepo without the compiler: a subpath of a
  // workspace package that maps nothing (no `exports`, no `typesVersions`),
  // `@acme/lib/utils/zod`. The compiler would find the package under
  // node_modules, follow its link and try the subpath as a file, then as a
  // directory's index, TypeScript before JavaScript; this finds the first of
  // those in the analysed set. Null (the compiler decides) when none is
  // there, or when something could make the compiler look elsewhere: a
  // package.json in the subpath's directory, anything baseUrl could name,
  // moduleSuffixes, preserveSymlinks, an extension other than `.js`, or an
  // extensionless ESM import under node16/nodenext.
  private resolveWorkspaceSubpath(config: ProjectConfig, name: string, specifier: string, mode: ts.ResolutionMode): string | null {
    const { moduleSuffixes, preserveSymlinks } = config.options;
    if (specifier.length <= name.length + 1 || moduleSuffixes || preserveSymlinks || this.foundUnderBaseUrl(config, specifier)) return null;
    const directory = this.layout.plainPackageDirectory(name);
    if (directory === null) return null;
    const base = posix.join(directory, specifier.slice(name.length + 1));
    if (base !== posix.normalize(base) || base.startsWith('../') || (directory !== '' && !base.startsWith(`${directory}/`))) return null;
    const extension = CODE_EXTENSION.exec(base)?.[0];
    if (extension === '.js') {
      if (this.layout.directoryExists(join(this.root, base))) return null;
      const stem = base.slice(0, -extension.length);
      return [...TYPESCRIPT_TRIES.map((e) => stem + e), base].find((candidate) => this.relativeFiles.has(candidate)) ?? null;
    }
    if (extension !== undefined || (isNodeResolution(config) && mode === ts.ModuleKind.ESNext) || this.layout.hasManifest(base)) return null;
    const tries = (extensions: string[]): string[] => [...extensions.map((e) => base + e), ...extensions.map((e) => `${base}/index${e}`)];
    return [...tries(TYPESCRIPT_TRIES), ...tries(JAVASCRIPT_TRIES)].find((candidate) => this.relativeFiles.has(candidate)) ?? null;
  }

  // With baseUrl the compiler first looks for a bare specifier under it, as a
  // file or a directory. True when the analysed set holds anything there it
  // could find (kept broad: any file named like a candidate, a directory or a
  // package.json at that path).
  private foundUnderBaseUrl(config: ProjectConfig, specifier: string): boolean {
    const { baseUrl } = config.options;
    if (!baseUrl) return false;
    const key = `${baseUrl}\0${specifier}`;
    let found = this.underBaseUrl.get(key);
    if (found === undefined) {
      const base = toPosix(relative(this.root, join(baseUrl, specifier)));
      const tries = [...EXTENSION_TRIES, '.json'];
      found =
        !base.startsWith('../') &&
        (this.relativeFiles.has(base) ||
          this.layout.hasManifest(base) ||
          this.layout.directoryExists(join(this.root, base)) ||
          tries.some((e) => this.relativeFiles.has(base + e)) ||
          Object.values(JS_TO_TS).some((targets) => targets.some((e) => this.relativeFiles.has(base.replace(CODE_EXTENSION, '') + e))));
      this.underBaseUrl.set(key, found);
    }
    return found;
  }

  // The common case without the compiler: a relative specifier naming an
  // analysed file exactly, by a .js name for a .ts source, without its
  // extension, or as a directory's index (not for an ESM import under
  // node16/nodenext, which needs the extension). Anything else (and projects
  // using moduleSuffixes) goes to the compiler's resolver; with rootDirs the
  // compiler too tries the specifier's own location first.
  private resolveRelative(config: ProjectConfig, fromPath: string, containing: string, specifier: string, kind: ImportKind): string | null {
    if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
    if (config.options.moduleSuffixes) return null;
    const base = posix.normalize(posix.join(posix.dirname(fromPath), specifier));
    if (base.startsWith('../')) return null;
    const extension = CODE_EXTENSION.exec(base)?.[0];
    if (!extension && isNodeResolution(config) && this.modeOf(config, containing, kind) === ts.ModuleKind.ESNext) return null;
    const candidates = extension
      ? [...(JS_TO_TS[extension] ?? []).map((ts) => base.slice(0, -extension.length) + ts), base]
      : [...EXTENSION_TRIES.map((e) => base + e), ...EXTENSION_TRIES.map((e) => `${base}/index${e}`)];
    return candidates.find((candidate) => this.relativeFiles.has(candidate)) ?? null;
  }

  // The resolution mode the compiler gives an import (its conditions:
  // `import` or `require`), by the rules of getModeForUsageLocation: under
  // node16/nodenext a static import takes the file's format (extension, or
  // the nearest package.json `type`), under bundler it is an import;
  // `require()` and `import x = require()` are CommonJS, `import()` is ESM.
  private modeOf(config: ProjectConfig, containing: string, kind: ImportKind): ts.ResolutionMode {
    const { moduleResolution, module } = config.options;
    if (!isNodeResolution(config) && !(moduleResolution === ts.ModuleResolutionKind.Bundler && config.options.resolvePackageJsonExports !== false)) return undefined;
    if (kind === 'require') return ts.ModuleKind.CommonJS;
    const format = this.formatOf(config, containing) ?? module;
    if (kind === 'dynamic') {
      const keepsImport = module === ts.ModuleKind.Preserve || (module !== undefined && module >= ts.ModuleKind.Node16 && module <= ts.ModuleKind.NodeNext);
      return keepsImport || (format !== undefined && format >= ts.ModuleKind.ES2015) ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS;
    }
    if (format === ts.ModuleKind.CommonJS) return ts.ModuleKind.CommonJS;
    return format === ts.ModuleKind.Preserve || (format !== undefined && format >= ts.ModuleKind.ES2015 && format <= ts.ModuleKind.ESNext) ? ts.ModuleKind.ESNext : undefined;
  }

  private formatOf(config: ProjectConfig, containing: string): ts.ResolutionMode {
    const key = `${config.configFile ?? ''}\0${containing}`;
    if (!this.formats.has(key)) this.formats.set(key, ts.getImpliedNodeFormatForFile(containing, config.cache.getPackageJsonInfoCache(), this.layout, config.options));
    return this.formats.get(key);
  }
}

function isNodeResolution(config: ProjectConfig): boolean {
  const kind = config.options.moduleResolution;
  return kind === ts.ModuleResolutionKind.Node16 || kind === ts.ModuleResolutionKind.NodeNext;
}

function isPathLike(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#');
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') && parts.length > 1 ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}
