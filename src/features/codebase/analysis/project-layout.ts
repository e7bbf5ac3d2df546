import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';

import picomatch from 'picomatch';
import { ts } from 'ts-morph';
import { parse as parseYaml } from 'yaml';

import { isInside, toPosix } from 'src/features/codebase/analysis/paths.js';

const CONFIG_NAMES = ['tsconfig.json', 'jsconfig.json'];
const NODE_MODULES = '/node_modules/';

// The compiler options in force for one tsconfig, with the resolution cache
// every file governed by it shares.
export interface ProjectConfig {
  // Relative to the root, or null for the defaults of a root without one.
  configFile: string | null;
  options: ts.CompilerOptions;
  cache: ts.ModuleResolutionCache;
  pathPatterns: RegExp[];
  // Equal for configs that resolve a bare specifier alike (the options
  // resolution reads, and the config's directory when paths or baseUrl
  // make it matter), so packages sharing a base config share answers.
  resolutionKey: string;
}

export interface PackageScope {
  name: string | null;
  // Absolute.
  directory: string;
}

export interface WorkspacePackage {
  name: string;
  // Relative to the root ('' for the root itself).
  path: string;
}

// The shape of a repository for module resolution: which tsconfig governs
// each file (the nearest one, with `extends` and, for a solution-style
// config, the referenced project that includes the file), which workspace
// packages exist (npm and yarn `workspaces`, pnpm-workspace.yaml) and where
// each lives. It answers the compiler's file-system questions from the
// analysed file set, and shows every workspace package under any
// node_modules inside the root as a hoisted install links it, so
// `ts.resolveModuleName` finds `@acme/ui` in packages/ui as it would after
// `npm install`. Only package.json and tsconfig files inside the root are
// read from disk.
export class ProjectLayout implements ts.ModuleResolutionHost {
  readonly packages: WorkspacePackage[];
  readonly fingerprint: string;
  readonly useCaseSensitiveFileNames = ts.sys.useCaseSensitiveFileNames;
  private readonly files: Set<string>;
  private readonly directories = new Set<string>();
  private readonly packageDirectories = new Map<string, string>();
  private readonly scopes = new Set<string>();
  private readonly jsonFiles = new Map<string, string | undefined>();
  private readonly configOfDirectory = new Map<string, ProjectConfig>();
  private readonly parsed = new Map<string, ts.ParsedCommandLine | null>();
  private readonly configs = new Map<string, ProjectConfig>();
  private readonly scopeOfDirectory = new Map<string, PackageScope | null>();
  private readonly parseHost: ts.ParseConfigHost;
  private defaults: ProjectConfig | undefined;
  private readonly rootPrefix: string;
  private readonly manifests: Set<string>;
  private readonly plainPackages = new Map<string, string | null>();

  constructor(
    private readonly root: string,
    relativeFiles: Iterable<string>,
    // Directories (relative) holding a package.json, as the scan found them.
    manifestDirectories: string[],
  ) {
    this.rootPrefix = root.endsWith(sep) ? root : root + sep;
    this.manifests = new Set(manifestDirectories);
    this.files = new Set([...relativeFiles].map((p) => join(root, p)));
    for (const file of this.files) this.addDirectories(dirname(file));
    this.packages = this.findWorkspacePackages(manifestDirectories);
    for (const pkg of this.packages) {
      const absolute = join(root, pkg.path);
      this.packageDirectories.set(pkg.name, absolute);
      this.addDirectories(absolute);
      if (pkg.name.startsWith('@')) this.scopes.add(pkg.name.slice(0, pkg.name.indexOf('/')));
    }
    this.parseHost = {
      useCaseSensitiveFileNames: this.useCaseSensitiveFileNames,
      readDirectory: () => [],
      fileExists: (path) => this.fileExists(path),
      readFile: (path) => this.readFile(path),
    };
    // Every config governing a file is parsed now, so the fingerprint covers
    // all that resolution depends on: configs, extended configs, manifests.
    for (const directory of this.directories) {
      if (!isInside(root, directory)) continue;
      const config = this.configFor(directory);
      for (const reference of this.solutionReferences(config)) this.parse(reference);
    }
    for (const directory of manifestDirectories) this.readFile(join(root, directory, 'package.json'));
    const hash = createHash('sha256');
    for (const path of [...this.jsonFiles.keys()].sort()) hash.update(`${relative(root, path)}\0${this.jsonFiles.get(path) ?? ''}\0`);
    this.fingerprint = hash.digest('hex').slice(0, 16);
  }

  // The config governing a file (a path relative to the root).
  configOf(relativeFile: string): ProjectConfig {
    return this.configFor(dirname(join(this.root, relativeFile)), join(this.root, relativeFile));
  }

  isWorkspacePackage(name: string): boolean {
    return this.packageDirectories.has(name);
  }

  // A workspace package whose subpaths name its files as they are: its
  // package.json has neither `exports` nor `typesVersions` to map them. Its
  // directory relative to the root, or null.
  plainPackageDirectory(name: string): string | null {
    if (!this.plainPackages.has(name)) {
      const directory = this.packageDirectories.get(name);
      const manifest = directory === undefined ? null : parseJson(this.readFile(join(directory, 'package.json')));
      const plain = directory !== undefined && manifest !== null && manifest.exports === undefined && manifest.typesVersions === undefined;
      this.plainPackages.set(name, plain ? toPosix(relative(this.root, directory)) : null);
    }
    return this.plainPackages.get(name) ?? null;
  }

  // Whether the scan found a package.json in this directory (relative).
  hasManifest(relativeDirectory: string): boolean {
    return this.manifests.has(relativeDirectory);
  }

  // The package whose package.json is nearest above the file (the
  // compiler's package scope), for self-references (`import "zod/v3"`
  // inside zod); null above every package.json.
  packageScope(relativeFile: string): PackageScope | null {
    return this.scopeFor(dirname(join(this.root, relativeFile)));
  }

  // The workspace package holding a file (relative paths), or null.
  packageOfFile(relativeFile: string): WorkspacePackage | null {
    let best: WorkspacePackage | null = null;
    for (const pkg of this.packages) {
      if ((pkg.path === '' || relativeFile.startsWith(`${pkg.path}/`)) && (!best || pkg.path.length > best.path.length)) best = pkg;
    }
    return best;
  }

  fileExists(path: string): boolean {
    const real = this.realpath(path);
    if (this.files.has(real)) return true;
    return real.endsWith('.json') && this.readFile(real) !== undefined;
  }

  directoryExists(path: string): boolean {
    const normalised = path.endsWith('/') ? path.slice(0, -1) : path;
    if (this.packageDirectories.size > 0 && this.isUnderRoot(normalised)) {
      if (normalised.endsWith('/node_modules')) return true;
      const at = normalised.lastIndexOf(NODE_MODULES);
      if (at >= 0 && this.scopes.has(normalised.slice(at + NODE_MODULES.length))) return true;
    }
    return this.directories.has(this.realpath(normalised));
  }

  readFile(path: string): string | undefined {
    const real = this.realpath(path);
    if (!real.endsWith('.json') || !isInside(this.root, real) || real.includes(NODE_MODULES)) return undefined;
    if (!this.jsonFiles.has(real)) this.jsonFiles.set(real, safeRead(real));
    return this.jsonFiles.get(real);
  }

  // `<dir>/node_modules/@acme/ui/x` inside the root is packages/ui/x, as the
  // workspace link would make it; other paths are themselves.
  realpath(path: string): string {
    const at = path.indexOf(NODE_MODULES);
    if (at < 0 || !this.isUnderRoot(path.slice(0, at))) return path;
    const rest = path.slice(at + NODE_MODULES.length).split('/');
    const nameLength = rest[0]?.startsWith('@') ? 2 : 1;
    const target = this.packageDirectories.get(rest.slice(0, nameLength).join('/'));
    return target ? join(target, ...rest.slice(nameLength)) : path;
  }

  getCurrentDirectory(): string {
    return this.root;
  }

  // isInside for the normalised absolute paths the compiler asks about, by
  // prefix: these questions come by the thousand. Nothing is read for them.
  private isUnderRoot(path: string): boolean {
    return path === this.root || path.startsWith(this.rootPrefix);
  }

  private addDirectories(from: string): void {
    for (let directory = from; isInside(this.root, directory) && !this.directories.has(directory); directory = dirname(directory)) {
      this.directories.add(directory);
      if (directory === this.root) break;
    }
  }

  private findWorkspacePackages(manifestDirectories: string[]): WorkspacePackage[] {
    const globs = this.workspaceGlobs();
    if (globs.length === 0) return [];
    const included = picomatch(globs.filter((g) => !g.startsWith('!')).map(trimGlob));
    const excluded = picomatch(globs.filter((g) => g.startsWith('!')).map((g) => trimGlob(g.slice(1))));
    const packages: WorkspacePackage[] = [];
    for (const directory of manifestDirectories) {
      if (directory === '' || !included(directory) || excluded(directory)) continue;
      const name = manifestName(this.readFile(join(this.root, directory, 'package.json')));
      if (name && !packages.some((p) => p.name === name)) packages.push({ name, path: directory });
    }
    return packages;
  }

  // npm and yarn: package.json `workspaces` (a list, or `{packages}`); pnpm:
  // pnpm-workspace.yaml `packages`.
  private workspaceGlobs(): string[] {
    const globs: string[] = [];
    const manifest = parseJson(this.readFile(join(this.root, 'package.json')));
    const workspaces = manifest?.workspaces;
    const list = Array.isArray(workspaces) ? workspaces : isRecord(workspaces) && Array.isArray(workspaces.packages) ? workspaces.packages : [];
    globs.push(...list.filter((g): g is string => typeof g === 'string'));
    const pnpm = safeRead(join(this.root, 'pnpm-workspace.yaml'));
    if (pnpm !== undefined) {
      try {
        const parsed: unknown = parseYaml(pnpm);
        if (isRecord(parsed) && Array.isArray(parsed.packages)) globs.push(...parsed.packages.filter((g): g is string => typeof g === 'string'));
      } catch {
        // An unreadable workspace file links nothing, as it would for pnpm.
      }
    }
    return globs;
  }

  private scopeFor(directory: string): PackageScope | null {
    const known = this.scopeOfDirectory.get(directory);
    if (known !== undefined) return known;
    const manifest = this.readFile(join(directory, 'package.json'));
    const scope = manifest !== undefined ? { name: manifestName(manifest), directory } : directory === this.root || !isInside(this.root, directory) ? null : this.scopeFor(dirname(directory));
    this.scopeOfDirectory.set(directory, scope);
    return scope;
  }

  // Nearest tsconfig.json (or jsconfig.json) from the directory up to the root.
  private configFor(directory: string, file?: string): ProjectConfig {
    let config = this.configOfDirectory.get(directory);
    if (!config) {
      const path = CONFIG_NAMES.map((name) => join(directory, name)).find((candidate) => this.readFile(candidate) !== undefined);
      config = path ? this.projectConfig(path) : directory === this.root ? this.defaultConfig() : this.configFor(dirname(directory));
      this.configOfDirectory.set(directory, config);
    }
    if (file === undefined) return config;
    return this.referencedConfig(config, file) ?? config;
  }

  // A solution-style config (`"files": []` with references) governs nothing
  // itself: the referenced project that includes the file does.
  private referencedConfig(config: ProjectConfig, file: string): ProjectConfig | null {
    for (const path of this.solutionReferences(config)) {
      if (this.parse(path, true)?.fileNames.includes(file)) return this.projectConfig(path);
    }
    return null;
  }

  // The referenced configs inside the root of a solution-style config; none for any other.
  private solutionReferences(config: ProjectConfig): string[] {
    if (!config.configFile) return [];
    const parsed = this.parse(join(this.root, config.configFile));
    const files = (parsed?.raw as { files?: unknown } | undefined)?.files;
    if (!Array.isArray(files) || files.length > 0) return [];
    return (parsed?.projectReferences ?? []).map((reference) => ts.resolveProjectReferencePath(reference)).filter((path) => isInside(this.root, path));
  }

  private projectConfig(path: string): ProjectConfig {
    let config = this.configs.get(path);
    if (!config) {
      const options = normaliseOptions(this.parse(path)?.options ?? {});
      config = this.makeConfig(toPosix(relative(this.root, path)), options);
      this.configs.set(path, config);
    }
    return config;
  }

  private defaultConfig(): ProjectConfig {
    this.defaults ??= this.makeConfig(null, normaliseOptions({}));
    return this.defaults;
  }

  private makeConfig(configFile: string | null, options: ts.CompilerOptions): ProjectConfig {
    const relevant = RESOLUTION_OPTIONS.map((name) => options[name]);
    const located = options.paths || options.baseUrl ? [options.pathsBasePath, options.baseUrl] : [];
    return {
      configFile,
      options,
      resolutionKey: JSON.stringify([...relevant, ...located]),
      cache: ts.createModuleResolutionCache(this.root, (name) => name, options),
      pathPatterns: Object.keys(options.paths ?? {}).map((key) => new RegExp(`^${key.split('*').map(escapeRegExp).join('.*')}$`)),
    };
  }

  // `withFiles`: list the project's files too (the disk's answer, inside the
  // root), to learn which referenced project includes a file.
  private parse(path: string, withFiles = false): ts.ParsedCommandLine | null {
    const key = withFiles ? `${path}\0files` : path;
    if (this.parsed.has(key)) return this.parsed.get(key) ?? null;
    const read = ts.readConfigFile(path, (p) => this.readFile(p));
    const host = withFiles ? { ...this.parseHost, readDirectory: this.readDirectoryInside.bind(this) } : this.parseHost;
    const parsed = read.error ? null : ts.parseJsonConfigFileContent(read.config, host, dirname(path), undefined, path);
    this.parsed.set(key, parsed);
    return parsed;
  }

  private readDirectoryInside(directory: string, extensions?: readonly string[], excludes?: readonly string[], includes?: readonly string[], depth?: number): string[] {
    if (!isInside(this.root, directory)) return [];
    return ts.sys.readDirectory(directory, extensions, excludes, includes, depth).filter((file) => this.files.has(file));
  }
}

// Compiler options that module resolution reads.
const RESOLUTION_OPTIONS = [
  'moduleResolution',
  'module',
  'paths',
  'customConditions',
  'rootDirs',
  'moduleSuffixes',
  'allowJs',
  'resolveJsonModule',
  'resolvePackageJsonExports',
  'resolvePackageJsonImports',
  'allowImportingTsExtensions',
  'allowArbitraryExtensions',
  'noDtsResolution',
  'preserveSymlinks',
  'typeRoots',
] as const;

// The compiler's defaults for module resolution (from `module` when
// `moduleResolution` is not given), with classic resolution, which no
// current code relies on, read as bundler. JavaScript and JSON files are
// always candidates, as the analyser reads them too.
export function normaliseOptions(options: ts.CompilerOptions): ts.CompilerOptions {
  const kinds = ts.ModuleResolutionKind;
  let moduleResolution = options.moduleResolution;
  if (moduleResolution === undefined) {
    const module = options.module;
    moduleResolution = module === ts.ModuleKind.NodeNext ? kinds.NodeNext : module !== undefined && module >= ts.ModuleKind.Node16 && module < ts.ModuleKind.NodeNext ? kinds.Node16 : kinds.Bundler;
  }
  if (moduleResolution === kinds.Classic) moduleResolution = kinds.Bundler;
  const module = moduleResolution === kinds.Bundler && (options.module === undefined || options.module < ts.ModuleKind.ES2015 || (options.module >= ts.ModuleKind.Node16 && options.module <= ts.ModuleKind.NodeNext)) ? ts.ModuleKind.ESNext : options.module;
  return { ...options, allowJs: true, resolveJsonModule: true, moduleResolution, module };
}

function trimGlob(glob: string): string {
  return posix.normalize(glob.replace(/^\.\//, '')).replace(/\/+$/, '');
}

function manifestName(text: string | undefined): string | null {
  const name = parseJson(text)?.name;
  return typeof name === 'string' && name.length > 0 ? name : null;
}

function parseJson(text: string | undefined): Record<string, unknown> | null {
  if (text === undefined) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeRead(path: string): string | undefined {
  // Most paths asked about do not exist (a tsconfig.json in every directory):
  // a failed read throws, which costs far more than asking first.
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The root tsconfig's outDir below the root (build output the scan skips),
// read before the scan: `extends` inside the root only.
export function rootOutDir(root: string): string | null {
  const host: ts.ParseConfigHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    readDirectory: () => [],
    fileExists: (path) => isInside(root, path) && ts.sys.fileExists(path),
    readFile: (path) => (isInside(root, path) ? safeRead(path) : undefined),
  };
  for (const name of CONFIG_NAMES) {
    const path = join(root, name);
    if (!host.fileExists(path)) continue;
    const read = ts.readConfigFile(path, host.readFile);
    if (read.error) continue;
    const outDir = ts.parseJsonConfigFileContent(read.config, host, root, undefined, path).options.outDir;
    return outDir && isInside(root, outDir) && outDir !== root ? toPosix(relative(root, outDir)) : null;
  }
  return null;
}
