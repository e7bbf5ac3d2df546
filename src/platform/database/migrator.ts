import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';

// Migrations live in prisma/migrations/<name>/migration.sql, Prisma's own
// layout, and are recorded in Prisma's _prisma_migrations table with the
// same checksums, so `prisma migrate deploy` (where its engine is available)
// and `baton migrate` accept each other's work.
export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../prisma/migrations');

// The advisory lock key Prisma's migrate uses: a Baton instance and a Prisma
// CLI can never migrate the same database at once.
const MIGRATION_LOCK_KEY = 72707369;

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
// no-op.
export async function runMigrations(databaseUrl: string, log: (line: string) => void, directory = MIGRATIONS_DIR): Promise<string[]> {
  await ensureDatabase(databaseUrl, log);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'baton-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const rows = (await client.query<MigrationRow>('SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" WHERE rolled_back_at IS NULL ORDER BY started_at')).rows;
    const failed = rows.find((row) => row.finished_at === null);
    if (failed) {
      throw new MigrationError(`Migration ${failed.migration_name} failed earlier (${failed.logs ?? 'no log'}). Fix the database by hand, then mark it rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${failed.migration_name}') and run baton migrate again.`);
    }
    const applied = new Map(rows.map((row) => [row.migration_name, row.checksum]));
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

// Like `prisma migrate deploy`, create the database when it does not exist
// yet, connecting to the server's maintenance database to do so.
async function ensureDatabase(databaseUrl: string, log: (line: string) => void): Promise<void> {
  const target = new URL(databaseUrl);
  const database = decodeURIComponent(target.pathname.slice(1));
  if (database === '' || database === 'postgres') return;
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), application_name: 'baton-migrate' });
  try {
    await client.connect();
  } catch {
    return; // No maintenance access: the migration connection reports any real problem.
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by a concurrent run
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
