import { readdirSync, type Dirent } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';

import { isInside } from 'src/features/codebase/analysis/paths.js';

// Files the analyzer can parse.
export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
export const DEFAULT_INCLUDE = ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'];
// Dependencies, version control and build output are never the code under
// analysis; an explicit include cannot bring them back.
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.hg', '.svn', 'dist', 'build', 'out', 'coverage', '.next', '.nuxt', '.svelte-kit', '.turbo', '.output', '.cache', '.parcel-cache']);

export interface ScannedFile {
  // Relative to the root, forward slashes.
  path: string;
  absolutePath: string;
}

export interface SkippedEntry {
  path: string;
  reason: string;
}

export interface ScanResult {
  files: ScannedFile[];
  // Symlinks leaving the root and unreadable directories.
  outsideRoot: SkippedEntry[];
  unreadable: SkippedEntry[];
  // Directories holding a package.json, relative to the root ('' for the
  // root): the candidates for workspace packages.
  manifestDirectories: string[];
}

interface IgnoreScope {
  // Directory of the .gitignore, relative to the root ('' for the root itself).
  base: string;
  rules: Ignore;
}

// Directories listed between two turns of the event loop.
const DIRECTORIES_PER_TURN = 200;

// Walks a root the way a developer sees the project: .gitignore'd files,
// dependencies and build output are left out, symlinks are followed only
// while they stay inside the root (and only once per real directory).
// Directories are listed synchronously (several times faster than the
// promise API for the many small directories of a source tree), yielding to
// the event loop every few hundred so other requests keep flowing.
export class FileScanner {
  async scan(root: string, include: string[], exclude: string[], extraIgnoredDirectories: string[] = [], boundary: string = root): Promise<ScanResult> {
    const result: ScanResult = { files: [], outsideRoot: [], unreadable: [], manifestDirectories: [] };
    const included = picomatch(include.length > 0 ? include : DEFAULT_INCLUDE, { dot: true });
    const excluded = exclude.length > 0 ? picomatch(exclude, { dot: true }) : () => false;
    const ignoredDirectories = new Set(extraIgnoredDirectories);
    const visited = new Set<string>([root]);
    const scopes = await ancestorIgnoreScopes(root, boundary);
    let listed = 0;

    const walk = async (directory: string, relativeDirectory: string, inherited: IgnoreScope[]): Promise<void> => {
      if (++listed % DIRECTORIES_PER_TURN === 0) await yieldToEventLoop();
      let entries: Dirent[];
      try {
        entries = readdirSync(directory, { withFileTypes: true });
      } catch (error) {
        result.unreadable.push({ path: relativeDirectory || '.', reason: `cannot read the directory (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
        return;
      }
      const local = entries.some((e) => e.name === '.gitignore' && e.isFile()) ? await readIgnore(join(directory, '.gitignore'), relativeDirectory) : null;
      if (entries.some((e) => e.name === 'package.json' && e.isFile())) result.manifestDirectories.push(relativeDirectory);
      const active = local ? [...inherited, local] : inherited;
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const path = relativeDirectory ? `${relativeDirectory}/${entry.name}` : entry.name;
        const absolutePath = join(directory, entry.name);
        let isDirectory = entry.isDirectory();
        let isFile = entry.isFile();
        let target = absolutePath;
        if (entry.isSymbolicLink()) {
          try {
            target = await realpath(absolutePath);
          } catch {
            continue; // a dangling link names nothing to analyse
          }
          if (!isInside(root, target)) {
            if (isDirectory || isSourcePath(path) || (await isDirectoryPath(target))) result.outsideRoot.push({ path, reason: 'symlink pointing outside the root' });
            continue;
          }
          const targetStat = await stat(target).catch(() => null);
          isDirectory = targetStat?.isDirectory() ?? false;
          isFile = targetStat?.isFile() ?? false;
        }
        if (isDirectory) {
          if (SKIPPED_DIRECTORIES.has(entry.name) || ignoredDirectories.has(path) || isIgnored(active, path, true) || visited.has(target)) continue;
          visited.add(target);
          await walk(target, path, active);
        } else if (isFile && isSourcePath(path) && included(path) && !excluded(path) && !isIgnored(active, path, false)) {
          result.files.push({ path, absolutePath: target });
        }
      }
    };
    await walk(root, '', scopes);
    return result;
  }
}

export function isSourcePath(path: string): boolean {
  return SOURCE_EXTENSIONS.some((extension) => path.endsWith(extension));
}

function isIgnored(scopes: IgnoreScope[], path: string, directory: boolean): boolean {
  for (const scope of scopes) {
    const local = scope.base === '' ? path : path.startsWith(`${scope.base}/`) ? path.slice(scope.base.length + 1) : null;
    if (local === null || local === '') continue;
    if (scope.rules.ignores(directory ? `${local}/` : local)) return true;
  }
  return false;
}

async function readIgnore(file: string, base: string): Promise<IgnoreScope | null> {
  try {
    return { base, rules: ignore().add(await readFile(file, 'utf8')) };
  } catch {
    return null;
  }
}

// .gitignore files between the root and the repository top (its .git), so a
// root inside a repository is filtered like the repository is; never above
// the boundary (the allowed root), whose outside Baton must not read.
async function ancestorIgnoreScopes(root: string, boundary: string): Promise<IgnoreScope[]> {
  const scopes: IgnoreScope[] = [];
  let directory = root;
  while (directory !== boundary && isInside(boundary, directory)) {
    const parent = join(directory, '..');
    if (await isDirectoryPath(join(directory, '.git'))) break;
    const rules = await readIgnore(join(parent, '.gitignore'), '');
    if (rules) {
      // Rules of an ancestor match paths relative to it; re-root them by
      // prefixing the root's path below that ancestor.
      const prefix = relative(parent, root).split(sep).join('/');
      scopes.unshift({ base: '', rules: reRooted(rules.rules, prefix) });
    }
    directory = parent;
  }
  return scopes;
}

function reRooted(rules: Ignore, prefix: string): Ignore {
  return { ignores: (path: string) => rules.ignores(`${prefix}/${path}`) } as Ignore;
}

async function isDirectoryPath(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}
