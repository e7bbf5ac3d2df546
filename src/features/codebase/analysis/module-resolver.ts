import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, relative } from 'node:path';

import { ts } from 'ts-morph';

import { isInside, toPosix } from 'src/features/codebase/analysis/paths.js';

// asset: a relative import of something that is not code (JSON, CSS, ...).
export type Resolution = { kind: 'internal'; path: string } | { kind: 'external'; name: string } | { kind: 'asset' } | { kind: 'unresolved' };

const CODE_EXTENSION = /\.([cm]?[jt]sx?)$/;
const ASSET_EXTENSION = /\.(json|css|scss|sass|less|svg|png|jpe?g|gif|webp|html|md|txt|wasm|graphql|gql|vue|svelte)$/i;
// What a relative specifier may name, in the compiler's order of preference.
const EXTENSION_TRIES = ['.ts', '.tsx', '.d.ts', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const JS_TO_TS: Record<string, string[]> = { '.js': ['.ts', '.tsx', '.d.ts'], '.jsx': ['.tsx'], '.mjs': ['.mts', '.d.mts'], '.cjs': ['.cts', '.d.cts'] };

export interface ProjectSettings {
  options: ts.CompilerOptions;
  // The tsconfig that supplied them, relative to the root, or null.
  configFile: string | null;
  // tsconfig outDir below the root: build output to skip.
  outDir: string | null;
  fingerprint: string;
}

const BUILTINS = new Set(builtinModules);

// Reads the root's tsconfig.json (or jsconfig.json) for module resolution
// only: compiler options with `extends` applied, never the file list, so no
// directory is enumerated.
export function readProjectSettings(root: string): ProjectSettings {
  const parseHost: ts.ParseConfigHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    readDirectory: () => [],
    fileExists: (path) => isInside(root, path) && ts.sys.fileExists(path),
    readFile: (path) => (isInside(root, path) ? ts.sys.readFile(path) : undefined),
  };
  for (const name of ['tsconfig.json', 'jsconfig.json']) {
    const path = join(root, name);
    if (!parseHost.fileExists(path)) continue;
    const read = ts.readConfigFile(path, parseHost.readFile);
    if (read.error) continue;
    const parsed = ts.parseJsonConfigFileContent(read.config, parseHost, root, undefined, path);
    const options = normalise(parsed.options);
    const outDir = parsed.options.outDir && isInside(root, parsed.options.outDir) && parsed.options.outDir !== root ? toPosix(relative(root, parsed.options.outDir)) : null;
    return { options, configFile: name, outDir, fingerprint: fingerprintOf(name, options) };
  }
  const options = normalise({});
  return { options, configFile: null, outDir: null, fingerprint: fingerprintOf(null, options) };
}

// Module resolution kinds without a sound answer for modern code (classic,
// or none given) fall back to bundler resolution, which understands
// extensionless, index and .js-for-.ts specifiers alike.
function normalise(options: ts.CompilerOptions): ts.CompilerOptions {
  const kind = options.moduleResolution;
  const usable = kind === ts.ModuleResolutionKind.Node10 || kind === ts.ModuleResolutionKind.Node16 || kind === ts.ModuleResolutionKind.NodeNext || kind === ts.ModuleResolutionKind.Bundler;
  return {
    ...options,
    allowJs: true,
    resolveJsonModule: true,
    ...(usable ? {} : { moduleResolution: ts.ModuleResolutionKind.Bundler, module: ts.ModuleKind.ESNext }),
  };
}

function fingerprintOf(configFile: string | null, options: ts.CompilerOptions): string {
  const relevant = [configFile, options.baseUrl, options.paths, options.rootDirs, options.moduleResolution, options.module, options.customConditions, options.moduleSuffixes];
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

// Resolves import specifiers to files of the analysed set with the
// compiler's own algorithm (tsconfig paths and baseUrl, index files, `.js`
// specifiers that name `.ts` sources), answering file-system questions from
// the set instead of the disk, with one shared resolution cache.
export class ModuleResolver {
  private readonly files: Set<string>;
  private readonly relativeFiles: Set<string>;
  private readonly directories = new Set<string>();
  private readonly host: ts.ModuleResolutionHost;
  private readonly cache: ts.ModuleResolutionCache;
  private readonly pathPatterns: RegExp[];

  constructor(
    private readonly root: string,
    private readonly settings: ProjectSettings,
    relativePaths: Iterable<string>,
  ) {
    this.relativeFiles = new Set(relativePaths);
    this.files = new Set([...this.relativeFiles].map((p) => join(root, p)));
    for (const file of this.files) {
      for (let directory = dirname(file); isInside(root, directory) && !this.directories.has(directory); directory = dirname(directory)) {
        this.directories.add(directory);
        if (directory === root) break;
      }
    }
    const packageJsons = new Map<string, string | undefined>();
    this.host = {
      fileExists: (path) => this.files.has(path) || (path.endsWith('/package.json') && this.host.readFile(path) !== undefined),
      directoryExists: (path) => this.directories.has(path),
      // Only package.json files inside the root are read (for "imports" and "exports").
      readFile: (path) => {
        if (!path.endsWith('package.json') || !isInside(root, path) || path.includes('/node_modules/')) return undefined;
        if (!packageJsons.has(path)) packageJsons.set(path, safeRead(path));
        return packageJsons.get(path);
      },
      getCurrentDirectory: () => root,
      useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    };
    this.cache = ts.createModuleResolutionCache(root, (name) => name, settings.options);
    this.pathPatterns = Object.keys(settings.options.paths ?? {}).map((key) => new RegExp(`^${key.split('*').map(escapeRegExp).join('.*')}$`));
  }

  resolve(fromPath: string, specifier: string): Resolution {
    if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return { kind: 'external', name: specifier.startsWith('node:') ? specifier : `node:${specifier}` };
    const direct = this.resolveRelative(fromPath, specifier);
    if (direct) return { kind: 'internal', path: direct };
    if (isPathLike(specifier) && ASSET_EXTENSION.test(specifier)) return { kind: 'asset' };
    const mapped = this.pathPatterns.some((p) => p.test(specifier));
    // A bare specifier that no paths pattern maps and no baseUrl could name
    // can only be a package: skip the compiler's node_modules search.
    if (!isPathLike(specifier) && !mapped && !this.settings.options.baseUrl) return { kind: 'external', name: packageName(specifier) };
    const containing = join(this.root, fromPath);
    const resolved = ts.resolveModuleName(specifier, containing, this.settings.options, this.host, this.cache).resolvedModule;
    if (resolved && !resolved.isExternalLibraryImport && this.files.has(resolved.resolvedFileName)) {
      return { kind: 'internal', path: toPosix(relative(this.root, resolved.resolvedFileName)) };
    }
    if (isPathLike(specifier) || mapped) return { kind: 'unresolved' };
    return { kind: 'external', name: packageName(specifier) };
  }

  // The common case without the compiler: a relative specifier naming an
  // analysed file exactly, by a .js name for a .ts source, without its
  // extension, or as a directory's index. Anything else (and projects using
  // rootDirs or moduleSuffixes) goes to the compiler's resolver.
  private resolveRelative(fromPath: string, specifier: string): string | null {
    if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
    if (this.settings.options.rootDirs || this.settings.options.moduleSuffixes) return null;
    const base = posix.normalize(posix.join(posix.dirname(fromPath), specifier));
    if (base.startsWith('../')) return null;
    const extension = CODE_EXTENSION.exec(base)?.[0];
    const candidates = extension
      ? [...(JS_TO_TS[extension] ?? []).map((ts) => base.slice(0, -extension.length) + ts), base]
      : [...EXTENSION_TRIES.map((e) => base + e), ...EXTENSION_TRIES.map((e) => `${base}/index${e}`)];
    return candidates.find((candidate) => this.relativeFiles.has(candidate)) ?? null;
  }
}

function isPathLike(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#');
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') && parts.length > 1 ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
