import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';
import type { UmzugStorage } from 'umzug';

import { PG_UNIQUE_VIOLATION } from 'src/platform/database/pg-errors.js';

// Migrations live in prisma/migrations/<name>/migration.sql, Prisma's own
// layout, and are recorded in Prisma's _prisma_migrations table with the
// same checksums, so `prisma migrate deploy` (where its engine is available)
// and `baton migrate` accept each other's work.
export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../prisma/migrations');

// The advisory lock key Prisma's migrate uses: a Baton instance and a Prisma
// CLI can never migrate the same database at once.
const MIGRATION_LOCK_KEY = 72707369;

// A PostgreSQL that neither answers nor refuses must not hold start-up forever.
const CONNECT_TIMEOUT_MS = 10_000;

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"            VARCHAR(64) NOT NULL,
    "finished_at"         TIMESTAMPTZ,
    "migration_name"      VARCHAR(255) NOT NULL,
    "logs"                TEXT,
    "rolled_back_at"      TIMESTAMPTZ,
    "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

// Applies pending migrations in name order, each in its own transaction,
// under an advisory lock. Returns the names it applied; running it again is a
// no-op. Refuses a database that a failed migration left half-done, or that
// a newer Baton migrated further than this one knows.
export async function runMigrations(databaseUrl: string, log: (line: string) => void, directory = MIGRATIONS_DIR): Promise<string[]> {
  await ensureDatabase(databaseUrl, log);
  const client = migrationClient(databaseUrl);
  await connectOrExplain(client, databaseUrl);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const rows = await appliedMigrations(client);
    assertMigratable(rows, await migrationNames(directory), databaseUrl);
    const applied = new Map(rows.map((row) => [row.migration_name, row.checksum]));
    // Loaded only when something is to be applied: the start-up check of a
    // migrated database never needs it.
    const { Umzug } = await import('umzug');
    const umzug = new Umzug<pg.Client>({
      migrations: {
        glob: ['*/migration.sql', { cwd: directory }],
        resolve: ({ path }) => {
          const name = basename(dirname(path as string));
          return { name, up: async ({ context }) => applyOne(context, name, path as string) };
        },
      },
      context: client,
      storage: prismaStorage(applied),
      logger: undefined,
    });
    for (const migration of await umzug.executed()) {
      const file = await readFile(resolve(directory, migration.name, 'migration.sql'));
      if (checksum(file) !== applied.get(migration.name)) log(`warning: ${migration.name} was changed after it was applied; the database keeps the applied version`);
    }
    const done = await umzug.up();
    for (const migration of done) log(`applied ${migration.name}`);
    return done.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

export interface SchemaCheckOptions {
  // Apply pending migrations (under the migration lock) instead of refusing.
  autoMigrate: boolean;
  log: (line: string) => void;
  directory?: string;
}

// The start-up check of every serving command: the database must hold
// exactly the migrations this Baton ships. Pending ones are applied when
// autoMigrate is on; otherwise, and for a database that is missing, half
// migrated or newer than this Baton, it throws a MigrationError that says
// what to do. Returns the migrations it applied.
export async function ensureDatabaseSchema(databaseUrl: string, options: SchemaCheckOptions): Promise<string[]> {
  const directory = options.directory ?? MIGRATIONS_DIR;
  const expected = await migrationNames(directory);
  const rows = await readAppliedMigrations(databaseUrl);
  if (rows !== undefined) assertMigratable(rows, expected, databaseUrl);
  const done = new Set(rows?.map((row) => row.migration_name));
  const pending = expected.filter((name) => !done.has(name));
  if (pending.length === 0) return [];
  if (!options.autoMigrate) {
    const state = rows === undefined ? `Database ${databaseName(databaseUrl)} does not exist` : `Database ${databaseName(databaseUrl)} lacks ${pending.length} migration(s) (${pending.join(', ')})`;
    throw new MigrationError(`${state}, and BATON_AUTO_MIGRATE is false. Run \`baton migrate\` with the same DATABASE_URL, then start Baton again (or set BATON_AUTO_MIGRATE=true to let Baton migrate at start).`);
  }
  options.log(`database ${databaseName(databaseUrl)} lacks ${pending.length} migration(s); applying them`);
  return runMigrations(databaseUrl, options.log, directory);
}

// The rows of _prisma_migrations, or undefined when the database does not
// exist. A database without the table has applied nothing.
async function readAppliedMigrations(databaseUrl: string): Promise<MigrationRow[] | undefined> {
  const client = migrationClient(databaseUrl);
  try {
    await connectOrExplain(client, databaseUrl);
  } catch (error) {
    if ((error as { code?: string }).code === INVALID_CATALOG_NAME) return undefined;
    throw error;
  }
  try {
    // One query: a database without the table has applied nothing.
    return await appliedMigrations(client).catch((error: { code?: string }) => {
      if (error.code === UNDEFINED_TABLE) return [];
      throw error;
    });
  } finally {
    await client.end();
  }
}

async function appliedMigrations(client: pg.Client): Promise<MigrationRow[]> {
  return (await client.query<MigrationRow>('SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" WHERE rolled_back_at IS NULL ORDER BY started_at')).rows;
}

function assertMigratable(rows: readonly MigrationRow[], expected: readonly string[], databaseUrl: string): void {
  const failed = rows.find((row) => row.finished_at === null);
  if (failed) {
    throw new MigrationError(`Migration ${failed.migration_name} failed earlier (${failed.logs ?? 'no log'}). Fix the database by hand, then mark it rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${failed.migration_name}') and run baton migrate again.`);
  }
  const known = new Set(expected);
  const unknown = rows.map((row) => row.migration_name).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new MigrationError(`Database ${databaseName(databaseUrl)} has migrations this Baton does not know (${unknown.join(', ')}): a newer Baton migrated it. Run that Baton version or a newer one, or point DATABASE_URL at another database (with the embedded database: BATON_HOME at another directory); this version will not touch it.`);
  }
}

// Migration folders holding a migration.sql, in the order they apply.
async function migrationNames(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const files = await readdir(resolve(directory, entry.name));
    if (files.includes('migration.sql')) names.push(entry.name);
  }
  return names.sort();
}

const INVALID_CATALOG_NAME = '3D000';
const UNDEFINED_TABLE = '42P01';

function migrationClient(connectionString: string): pg.Client {
  const client = new pg.Client({ connectionString, application_name: 'baton-migrate', connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection lost between queries must not crash the process; the next
  // query fails and says so.
  client.on('error', () => undefined);
  return client;
}

// Connects, or throws an error that names the server and what to check. A
// missing database keeps its SQLSTATE so callers can tell it apart.
async function connectOrExplain(client: pg.Client, databaseUrl: string): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    if (code === INVALID_CATALOG_NAME) throw error;
    const url = new URL(databaseUrl);
    throw new MigrationError(`Cannot connect to PostgreSQL at ${url.hostname}:${url.port || '5432'} (${message}). Check that it is running and that DATABASE_URL names it, then start again.`);
  }
}

function databaseName(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || 'postgres';
}

// Like `prisma migrate deploy`, create the database when it does not exist
// yet, connecting to the server's maintenance database to do so.
async function ensureDatabase(databaseUrl: string, log: (line: string) => void): Promise<void> {
  const target = new URL(databaseUrl);
  const database = decodeURIComponent(target.pathname.slice(1));
  if (database === '' || database === 'postgres') return;
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = migrationClient(maintenance.toString());
  try {
    await client.connect();
  } catch {
    return; // No maintenance access: the migration connection reports any real problem.
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`).catch((error: { code?: string }) => {
        // Created meanwhile by a concurrent run: 42P04, or 23505 when both
        // inserted into pg_database at once.
        if (error.code !== '42P04' && error.code !== PG_UNIQUE_VIOLATION) throw error;
      });
      log(`created database ${database}`);
    }
  } finally {
    await client.end();
  }
}

async function applyOne(client: pg.Client, name: string, path: string): Promise<void> {
  const script = await readFile(path);
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())', [id, checksum(script), name]);
    await client.query(script.toString('utf8'));
    await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw new MigrationError(`Migration ${name} failed and was rolled back: ${(error as Error).message}`);
  }
}

// Umzug reads what ran from Prisma's table; rows are written by applyOne in
// the migration's own transaction, so logMigration has nothing left to do.
function prismaStorage(applied: Map<string, string>): UmzugStorage<pg.Client> {
  return {
    executed: async () => [...applied.keys()],
    logMigration: async () => undefined,
    unlogMigration: async () => {
      throw new MigrationError('Baton migrations only go forward; write a new migration to undo a change.');
    },
  };
}

function checksum(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
