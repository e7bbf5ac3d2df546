import { relative, isAbsolute, sep } from 'node:path';

// True when `path` is `parent` or below it. Both must be absolute and
// normalised (real paths, for symlink safety).
export function isInside(parent: string, path: string): boolean {
  const rel = relative(parent, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

// Code-point order: deterministic and far cheaper than localeCompare for
// sorting thousands of paths.
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
