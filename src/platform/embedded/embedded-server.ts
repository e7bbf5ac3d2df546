import { execFile, spawn } from 'node:child_process';
import { access, chmod, chown, cp, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';

import { childProcessEnv } from 'src/config/config.loader.js';
import { postgresBinaries, type PostgresBinaries } from 'src/platform/embedded/embedded-binaries.js';
import { EmbeddedDatabaseError } from 'src/platform/embedded/embedded-database.errors.js';
import { fsRead, fsStep, type Credentials, type HomeLayout } from 'src/platform/embedded/embedded-home.js';

const run = promisify(execFile);

// Lease connections mark the Baton processes using the server; the keeper
// stops it once none is left. The name carries the process id and role.
export const LEASE_PREFIX = 'baton-lease:';

interface RunAs {
  uid?: number;
  gid?: number;
}

// PostgreSQL refuses to run as root: root's server runs as the system's
// postgres user, or nobody where there is none.
async function serverUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  for (const name of ['postgres', 'nobody']) {
    try {
      const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
      return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    } catch {
      // try the next one
    }
  }
  throw new EmbeddedDatabaseError('Running as root, Baton needs a user named postgres (or nobody) to run the embedded PostgreSQL as. Create one, run Baton as a normal user, or set DATABASE_URL.');
}

// The bundled binaries, runnable by the server's user. Root's server user
// cannot reach a package installed under root's home (npx's cache): a copy
// in BATON_HOME, made once per PostgreSQL version, serves instead.
export async function serverBinaries(layout: HomeLayout): Promise<PostgresBinaries> {
  const binaries = await postgresBinaries();
  const user = await serverUser();
  if (user.uid === undefined) return binaries;
  const runnable = (path: string) => run(path, ['-V'], { uid: user.uid, gid: user.gid }).then(() => true, () => false);
  if (await runnable(binaries.postgres)) return binaries;
  const copy = join(layout.home, `postgres-${binaries.version}`);
  const moved = (path: string) => join(copy, 'bin', basename(path));
  if (!(await runnable(moved(binaries.postgres)))) {
    await fsStep(`copy the PostgreSQL binaries to ${copy}`, copy, async () => {
      await rm(copy, { recursive: true, force: true });
      await cp(resolve(dirname(binaries.postgres), '..'), copy, { recursive: true, verbatimSymlinks: true });
      await chmod(copy, 0o755);
    });
  }
  return { ...binaries, pgCtl: moved(binaries.pgCtl), initdb: moved(binaries.initdb), postgres: moved(binaries.postgres) };
}

// Creates the cluster on first start, or checks that the existing one is of
// the bundled PostgreSQL major version.
export async function ensureCluster(layout: HomeLayout, credentials: Credentials, binaries: PostgresBinaries): Promise<'created' | 'existing'> {
  const versionFile = join(layout.data, 'PG_VERSION');
  // Only a missing PG_VERSION means there is no cluster: one that cannot be
  // read (permissions, I/O) stops the start, and nothing is touched.
  const existing = await fsRead(versionFile, () => readFile(versionFile, 'utf8'), null);
  if (existing !== null) {
    const major = Number.parseInt(existing, 10);
    if (major > binaries.major) {
      throw new EmbeddedDatabaseError(`${layout.data} was made by PostgreSQL ${major}, newer than the PostgreSQL ${binaries.major} this Baton bundles. Run a Baton release that bundles PostgreSQL ${major} or newer, or set BATON_HOME to another directory; the data is untouched.`);
    }
    if (major < binaries.major) {
      throw new EmbeddedDatabaseError(`${layout.data} was made by PostgreSQL ${major}; this Baton bundles PostgreSQL ${binaries.major}, which cannot open it. Dump it with PostgreSQL ${major}'s pg_dump and restore into a new BATON_HOME, or set DATABASE_URL to a PostgreSQL ${major} server; the data is untouched.`);
    }
    return 'existing';
  }
  // A half-made cluster (initdb killed, disk full) has no PG_VERSION: start
  // over. A finished one (its control file written, which initdb does last
  // of the two) that lost the file is data: it is left as it is.
  const controlFile = join(layout.data, 'global', 'pg_control');
  if (await fsRead(controlFile, () => access(controlFile).then(() => true), false)) {
    throw new EmbeddedDatabaseError(`${layout.data} holds a database (${controlFile} exists) but has no PG_VERSION, so Baton cannot tell which PostgreSQL made it and will not recreate it. Restore ${versionFile} (one line with the major version: "${binaries.major}" for the PostgreSQL this Baton bundles), or move the directory away to start with an empty database; the data is untouched.`);
  }
  const user = await serverUser();
  await fsStep(`clear ${layout.data}`, layout.data, () => rm(layout.data, { recursive: true, force: true }));
  await fsStep(`create ${layout.data}`, layout.data, () => mkdir(layout.data, { mode: 0o700 }));
  if (user.uid !== undefined) await chown(layout.data, user.uid, user.gid as number);
  const passwordFile = join(tmpdir(), `baton-initdb-${process.pid}-${Date.now()}`);
  await fsStep('write the initial password file', passwordFile, () => writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 }));
  if (user.uid !== undefined) await chown(passwordFile, user.uid, user.gid as number);
  try {
    await runBinary(binaries.initdb, ['--pgdata', layout.data, '--username', credentials.user, '--pwfile', passwordFile, '--auth', 'scram-sha-256', '--encoding', 'UTF8', '--no-locale', '--no-instructions'], user, 'initialise the embedded database');
  } finally {
    await rm(passwordFile, { force: true });
  }
  return 'created';
}

// Starts the server on a free loopback port (no Unix socket, nothing beyond
// this machine) and returns the port. pg_ctl detaches it: it outlives the
// process that started it, whatever happens to that process.
export async function startServer(layout: HomeLayout, binaries: PostgresBinaries): Promise<number> {
  const user = await serverUser();
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300`;
    try {
      await runBinary(binaries.pgCtl, ['start', '--pgdata', layout.data, '--wait', '--timeout', '60', '--log', layout.log, '-o', options], user, 'start the embedded database');
      return port;
    } catch (error) {
      lastError = error as Error;
      const log = await logTail(layout);
      // Another program took the port between choosing and binding it.
      if (!/Address already in use/i.test(log)) throw new EmbeddedDatabaseError(`${lastError.message}\nServer log (${layout.log}):\n${log}`);
    }
  }
  throw new EmbeddedDatabaseError(`Could not find a free loopback port for the embedded database: ${lastError?.message ?? ''}`);
}

export async function stopServer(layout: HomeLayout, binaries: PostgresBinaries): Promise<void> {
  await runBinary(binaries.pgCtl, ['stop', '--pgdata', layout.data, '--mode', 'fast', '--wait', '--timeout', '60'], await serverUser(), 'stop the embedded database');
}

export function connectionUrl(credentials: Credentials, port: number, database = credentials.database): string {
  return `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

// The connection that says "this process uses the server" until it exits,
// however it exits. Null when no server answers on that port, or when the
// one that answers is not the server of this data directory (another
// PostgreSQL took the recorded port after ours stopped, and happens to let
// these credentials in): joining it would put Baton's data in the wrong place.
export async function openLease(credentials: Credentials, port: number, role: string, dataDirectory: string): Promise<pg.Client | null> {
  return openConnection(credentials, port, `${LEASE_PREFIX}${process.pid}:${role}`, dataDirectory);
}

async function servesDirectory(client: pg.Client, dataDirectory: string): Promise<boolean> {
  try {
    const result = await client.query<{ data_directory: string }>(`SELECT current_setting('data_directory') AS data_directory`);
    const served = result.rows[0]?.data_directory;
    return served !== undefined && (await canonical(served)) === (await canonical(dataDirectory));
  } catch {
    return false; // not allowed to read it: not a server Baton created
  }
}

async function canonical(path: string): Promise<string> {
  return realpath(path).catch(() => resolve(path));
}

// A connection to the maintenance database of the server of dataDirectory
// (for the keeper and status it holds no lease).
export async function openConnection(credentials: Credentials, port: number, applicationName: string, dataDirectory: string): Promise<pg.Client | null> {
  const client = new pg.Client({ connectionString: connectionUrl(credentials, port, 'postgres'), application_name: applicationName, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === '57P03' || code === 'ECONNRESET') return null; // not running, or starting up/shutting down
    if (code === '28P01') throw new EmbeddedDatabaseError(`The server on 127.0.0.1:${port} rejected the credentials in BATON_HOME. Another PostgreSQL took that port; stop it, or remove server.json from BATON_HOME and start again.`);
    return null;
  }
  // Losing the server is reported by the queries that need it, not here.
  client.on('error', () => undefined);
  if (await servesDirectory(client, dataDirectory)) return client;
  await client.end().catch(() => undefined);
  return null;
}

export interface LeaseHolder {
  pid: number;
  role: string;
  since: Date;
}

export async function leaseCount(client: pg.Client): Promise<number> {
  const result = await client.query<{ count: string }>('SELECT count(*)::text AS count FROM pg_stat_activity WHERE application_name LIKE $1', [`${LEASE_PREFIX}%`]);
  return Number(result.rows[0]?.count ?? 0);
}

export async function leaseHolders(client: pg.Client): Promise<LeaseHolder[]> {
  const rows = await client.query<{ application_name: string; backend_start: Date }>(
    'SELECT application_name, backend_start FROM pg_stat_activity WHERE application_name LIKE $1 ORDER BY backend_start',
    [`${LEASE_PREFIX}%`],
  );
  return rows.rows.map((row) => {
    const [pid, role] = row.application_name.slice(LEASE_PREFIX.length).split(':');
    return { pid: Number(pid), role: role ?? 'unknown', since: row.backend_start };
  });
}

async function runBinary(path: string, args: string[], user: RunAs, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(path, args, { ...user, stdio: ['ignore', 'pipe', 'pipe'], env: childProcessEnv() });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EACCES' && user.uid !== undefined ? ` The server runs as user id ${user.uid}, which must be able to reach ${path}: give every directory above BATON_HOME search permission (chmod o+x), or use a BATON_HOME such as /var/lib/baton.` : '';
      reject(new EmbeddedDatabaseError(`Could not ${what}: ${error.message}.${hint}`));
    });
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const text = output.trim();
      const hint = /No space left on device/i.test(text) ? ' The disk is full: free some space and start again.' : /Permission denied/i.test(text) ? ' Make BATON_HOME writable (and, as root, reachable by the server\'s user), or set BATON_HOME elsewhere.' : '';
      reject(new EmbeddedDatabaseError(`Could not ${what} (exit code ${code}).${hint}\n${text}`));
    });
  });
}

async function logTail(layout: HomeLayout): Promise<string> {
  const text = await readFile(layout.log, 'utf8').catch(() => '');
  return text.split('\n').slice(-15).join('\n');
}

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
