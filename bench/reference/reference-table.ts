import pg from 'pg';

// The table the reference server of minimal-server.ts writes to; the
// benchmarks create it. A module of its own, so importing it does not start
// the server.
export const REFERENCE_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS reference_entries (id bigserial PRIMARY KEY, session_key text NOT NULL, type text NOT NULL, content text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())';

// Creates the table in the database at `databaseUrl`, through a connection of its own.
export async function createReferenceTable(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(REFERENCE_TABLE_SQL);
  } finally {
    await client.end();
  }
}
