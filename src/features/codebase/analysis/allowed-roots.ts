import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

import { echo } from 'src/platform/input/input-guard.js';
import { isInside } from 'src/features/codebase/analysis/paths.js';
import { CodebaseError, CodebaseErrorCode } from 'src/features/codebase/codebase.errors.js';

export interface GrantedRoot {
  // The real path to analyse.
  root: string;
  // The real allowed root that contains it.
  boundary: string;
}

// Grants a root only inside a configured allowed root, checked twice: on the
// path as written (so `..` cannot climb out) and on its real path (so a
// symlink cannot lead out). Nothing is said about paths outside the allowed
// roots, not even whether they exist, nor which roots are allowed: a caller
// learns no more of the server's configuration than yes or no.
export async function grantRoot(requested: string, allowedRoots: readonly string[]): Promise<GrantedRoot> {
  if (allowedRoots.length === 0) {
    throw new CodebaseError(CodebaseErrorCode.PathNotAllowed, 'This Baton server allows no codebase roots. Its operator can list directories in BATON_ALLOWED_ROOTS (`baton stdio` allows its working directory by default).');
  }
  if (!isAbsolute(requested)) {
    throw new CodebaseError(CodebaseErrorCode.PathNotAllowed, `root "${echo(requested)}" is not an absolute path. Give the absolute path of the directory to analyse.`);
  }
  const written = resolve(requested);
  const boundaries = await Promise.all(allowedRoots.map(async (allowed) => ({ written: resolve(allowed), real: await realpath(allowed).catch(() => null) })));
  const candidates = boundaries.filter((b) => isInside(b.written, written) || (b.real !== null && isInside(b.real, written)));
  const outside = (): CodebaseError =>
    new CodebaseError(CodebaseErrorCode.PathNotAllowed, `root "${echo(requested)}" is outside the directories this server may read (its operator sets them in BATON_ALLOWED_ROOTS). Analyse the working tree you were given, or ask the operator.`);
  if (candidates.length === 0) throw outside();
  let root: string;
  try {
    root = await realpath(written);
  } catch {
    throw new CodebaseError(CodebaseErrorCode.InvalidArgument, `root "${echo(requested)}" does not exist. Check the path.`);
  }
  const boundary = candidates.map((c) => c.real).find((real): real is string => real !== null && isInside(real, root));
  if (!boundary) throw outside();
  if (!(await stat(root)).isDirectory()) {
    throw new CodebaseError(CodebaseErrorCode.InvalidArgument, `root "${echo(requested)}" is a file; give the directory that holds the code.`);
  }
  return { root, boundary };
}
