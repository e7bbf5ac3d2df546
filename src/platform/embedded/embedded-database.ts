import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { EmbeddedDatabaseError } from 'src/platform/embedded/embedded-database.errors.js';
import { homeLayout, loadCredentials, lockHome, prepareHome, readServerRecord, writeServerRecord, type HomeLayout, type ServerRecord } from 'src/platform/embedded/embedded-home.js';
import { connectionUrl, ensureCluster, leaseHolders, openConnection, openLease, serverBinaries, startServer, type LeaseHolder } from 'src/platform/embedded/embedded-server.js';

export interface EmbeddedDatabase {
  readonly url: string;
  readonly home: string;
  // Whether this process started the server (and, on the very first start, created it).
  readonly started: 'created' | 'started' | 'joined';
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  readonly home: string;
  readonly idleSeconds: number;
  // What this process is (stdio, serve, ...), shown by `baton status`.
  readonly role: string;
}

const KEEPER_SCRIPT = fileURLToPath(new URL('./embedded-keeper.js', import.meta.url));

// Joins the embedded PostgreSQL in BATON_HOME, starting it (and creating it
// on first use) when no Baton process runs it yet. The returned lease keeps
// the server up until this process exits; a keeper stops it once the last
// lease has been gone for idleSeconds.
export async function openEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const layout = homeLayout(options.home);
  await prepareHome(layout);
  const credentials = await loadCredentials(layout);
  const release = await lockHome(layout);
  try {
    let started: EmbeddedDatabase['started'] = 'joined';
    const recorded = await readServerRecord(layout);
    let server: ServerRecord | null = recorded;
    let lease = recorded ? await openLease(credentials, recorded.port, options.role, layout.data) : null;
    if (!server || !lease) {
      const binaries = await serverBinaries(layout);
      started = (await ensureCluster(layout, credentials, binaries)) === 'created' ? 'created' : 'started';
      const port = await startServer(layout, binaries);
      server = { port, keeperPid: 0, startedAt: new Date().toISOString(), postgresVersion: binaries.version };
      // Recorded at once: whatever happens next, the next process finds the running server.
      await writeServerRecord(layout, server);
      lease = await openLease(credentials, port, options.role, layout.data);
      if (!lease) throw new EmbeddedDatabaseError(`The embedded database started on 127.0.0.1:${port} but does not accept connections; see ${layout.log}.`);
    }
    if (!processAlive(server.keeperPid)) {
      server = { ...server, keeperPid: spawnKeeper(layout, options.idleSeconds) };
      await writeServerRecord(layout, server);
    }
    const connection = lease;
    return { url: connectionUrl(credentials, server.port), home: layout.home, started, close: () => connection.end() };
  } finally {
    await release();
  }
}

export interface EmbeddedStatus {
  readonly home: string;
  readonly data: string;
  readonly running: boolean;
  readonly port: number | null;
  readonly postgresVersion: string | null;
  readonly startedAt: string | null;
  readonly processes: LeaseHolder[];
  readonly databaseBytes: number | null;
}

// What `baton status` shows; never starts the server.
export async function embeddedStatus(home: string): Promise<EmbeddedStatus> {
  const layout = homeLayout(home);
  const base = { home, data: layout.data, running: false, port: null, postgresVersion: null, startedAt: null, processes: [], databaseBytes: null };
  if (!existsSync(layout.credentials)) return base;
  const credentials = await loadCredentials(layout);
  const server = await readServerRecord(layout);
  if (!server) return base;
  const client = await openConnection(credentials, server.port, 'baton-status', layout.data);
  if (!client) return { ...base, port: server.port, postgresVersion: server.postgresVersion };
  try {
    const holders = await leaseHolders(client);
    const size = await client.query<{ bytes: string | null }>('SELECT pg_database_size(datname)::text AS bytes FROM pg_database WHERE datname = $1', [credentials.database]);
    return { ...base, running: true, port: server.port, postgresVersion: server.postgresVersion, startedAt: server.startedAt, processes: holders, databaseBytes: size.rows[0]?.bytes != null ? Number(size.rows[0].bytes) : null };
  } finally {
    await client.end();
  }
}

function spawnKeeper(layout: HomeLayout, idleSeconds: number): number {
  if (!existsSync(KEEPER_SCRIPT)) throw new EmbeddedDatabaseError(`The embedded database keeper ${KEEPER_SCRIPT} is missing; run \`npm run build\` first.`);
  const child = spawn(process.execPath, [KEEPER_SCRIPT, layout.home, String(idleSeconds)], { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid === undefined) throw new EmbeddedDatabaseError('Could not start the embedded database keeper process.');
  return child.pid;
}

function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

