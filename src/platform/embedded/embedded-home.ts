import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import lockfile from 'proper-lockfile';

import { EmbeddedDatabaseError } from 'src/platform/embedded/embedded-database.errors.js';

// What lives in BATON_HOME. The credentials and the server record are
// owner-only; the data directory belongs to the user the server runs as.
export interface HomeLayout {
  readonly home: string;
  readonly credentials: string;
  readonly server: string;
  readonly data: string;
  readonly log: string;
  readonly lock: string;
}

export interface Credentials {
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

// The running server, as recorded by the process that started it.
export interface ServerRecord {
  readonly port: number;
  readonly keeperPid: number;
  readonly startedAt: string;
  readonly postgresVersion: string;
}

export function homeLayout(home: string): HomeLayout {
  const data = join(home, 'pgdata');
  return { home, credentials: join(home, 'credentials.json'), server: join(home, 'server.json'), data, log: join(data, 'baton-server.log'), lock: join(home, 'start.lock') };
}

const isRoot = (): boolean => process.getuid?.() === 0;

// Creates BATON_HOME (owner-only; root's must be traversable by the server's
// user) and refuses one that belongs to another user: their server, their
// credentials.
export async function prepareHome(layout: HomeLayout): Promise<void> {
  await fsStep(`create ${layout.home}`, layout.home, () => mkdir(layout.home, { recursive: true, mode: 0o700 }));
  const info = await fsStep(`read ${layout.home}`, layout.home, () => stat(layout.home));
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new EmbeddedDatabaseError(
      `BATON_HOME ${layout.home} belongs to user id ${info.uid}, not to you (${uid}). Each user keeps their own embedded database: set BATON_HOME to a directory of yours, or DATABASE_URL to a shared server.`,
    );
  }
  await fsStep(`set the permissions of ${layout.home}`, layout.home, () => chmod(layout.home, isRoot() ? 0o711 : 0o700));
}

export async function loadCredentials(layout: HomeLayout): Promise<Credentials> {
  const existing = await readJson<Credentials>(layout.credentials);
  if (existing) return existing;
  const credentials: Credentials = { user: 'baton', password: randomBytes(24).toString('base64url'), database: 'baton' };
  await writeJsonAtomically(layout.credentials, credentials);
  return credentials;
}

export async function readServerRecord(layout: HomeLayout): Promise<ServerRecord | null> {
  return readJson<ServerRecord>(layout.server);
}

export async function writeServerRecord(layout: HomeLayout, record: ServerRecord): Promise<void> {
  await writeJsonAtomically(layout.server, record);
}

// One process at a time starts, joins or stops the server. A lock left by a
// process that died is taken over once it is stale (it is refreshed every few
// seconds while held).
export async function lockHome(layout: HomeLayout): Promise<() => Promise<void>> {
  try {
    return await lockfile.lock(layout.home, { lockfilePath: layout.lock, stale: 10_000, update: 2_000, realpath: false, retries: { retries: 300, factor: 1, minTimeout: 100, maxTimeout: 100 } });
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `Could not take the start-up lock ${layout.lock} within 30 s (${(error as Error).message}). Another Baton process is starting the embedded database; if none is, remove ${layout.lock} and start again.`,
    );
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  const text = await fsRead(path, () => readFile(path, 'utf8'), null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new EmbeddedDatabaseError(`${path} is not valid JSON. It was written by Baton; remove it and start again (the credentials file: only together with the pgdata directory).`);
  }
}

// Written beside and renamed into place: a crash never leaves half a file.
async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await fsStep(`write ${path}`, path, () => writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 }));
  await fsStep(`write ${path}`, path, () => rename(temporary, path));
}

// Reading a file that may not be there: `missing` when it is not; any other
// failure (permissions, I/O, a file in the way) is fsStep's error.
export function fsRead<T, M>(path: string, read: () => Promise<T>, missing: M): Promise<T | M> {
  return fsStep(`read ${path}`, path, () => read().catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? missing : Promise.reject(error))));
}

// File-system failures in words a user can act on.
export async function fsStep<T>(what: string, path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOSPC' ? 'the disk is full; free some space' :
      code === 'EACCES' || code === 'EPERM' ? 'permission denied; make it readable and writable by you, or set BATON_HOME to a directory you own' :
      code === 'EROFS' ? 'the file system is read-only; set BATON_HOME to a writable directory' :
      code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way of a directory; set BATON_HOME to a directory' :
      (error as Error).message;
    const where = what.endsWith(path) ? '' : ` (${path})`;
    throw new EmbeddedDatabaseError(`Could not ${what}${where}: ${reason}. Nothing in BATON_HOME was changed by this attempt.`);
  }
}
