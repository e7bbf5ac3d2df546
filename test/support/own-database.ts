import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { runMigrations } from 'src/platform/database/migrator.js';

export interface OwnDatabase {
  url: string;
  // A direct connection for arranging and inspecting rows.
  db: pg.Client;
  drop(): Promise<void>;
}

// A migrated database of the test file's own, for tests that act on every
// session (sweeps, start-up checks) and must not touch other files' data.
export async function createOwnDatabase(label: string): Promise<OwnDatabase> {
  const admin = process.env.BATON_E2E_ADMIN_DATABASE_URL;
  if (!admin) throw new Error('BATON_E2E_ADMIN_DATABASE_URL is not set: run the e2e suite through jest');
  const name = `${process.env.BATON_E2E_DATABASE_URL ? new URL(process.env.BATON_E2E_DATABASE_URL).pathname.slice(1) : 'baton_test'}_${label}_${randomBytes(3).toString('hex')}`;
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await runMigrations(url.toString(), () => undefined);
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  return {
    url: url.toString(),
    db,
    drop: async () => {
      await db.end();
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
