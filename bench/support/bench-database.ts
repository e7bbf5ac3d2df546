import { randomBytes } from 'node:crypto';

import pg from 'pg';

// A database of the benchmark's own, created by `baton migrate` and dropped
// at the end, on the server named by the admin URL.
export function benchDatabaseUrl(adminUrl: string): { name: string; url: string } {
  const name = `baton_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export interface ServerFacts {
  readonly version: string;
  readonly settings: Readonly<Record<string, string>>;
}

// Settings that decide whether a commit is durable, as this database sees
// them (a per-database or per-role override would show here too).
export async function serverFacts(url: string): Promise<ServerFacts> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const version = (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? 'unknown';
    const rows = (
      await client.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'wal_sync_method', 'full_page_writes') ORDER BY name`,
      )
    ).rows;
    return { version, settings: Object.fromEntries(rows.map((r) => [r.name, r.setting])) };
  } finally {
    await client.end();
  }
}

export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}
