import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import pg from 'pg';

import { runMigrations } from 'src/platform/database/migrator.js';

interface SchemaEngine {
  diffDatabaseToSchema(): Promise<string>;
  free(): void;
}

const databaseUrl = (): string => process.env.BATON_E2E_DATABASE_URL as string;

describe('migrations', () => {
  it('leave the database exactly as prisma/schema.prisma describes it (no drift)', async () => {
    const { openSchemaEngine } = (await import(pathToFileURL(resolve('scripts/prisma-schema-engine.mjs')).href)) as { openSchemaEngine(url: string): Promise<SchemaEngine> };
    const engine = await openSchemaEngine(databaseUrl());
    try {
      expect(await engine.diffDatabaseToSchema()).toBe('');
    } finally {
      engine.free();
    }
  });

  it('are recorded in Prisma\'s own table, with the sha256 of each migration.sql as checksum', async () => {
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    try {
      const rows = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>('SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations"');
      expect(rows.rows.length).toBeGreaterThan(0);
      for (const row of rows.rows) {
        expect(row.finished_at).not.toBeNull();
        expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(row.applied_steps_count).toBe(1);
      }
    } finally {
      await client.end();
    }
  });

  it('is a no-op the second time, and concurrent runs apply each migration once', async () => {
    expect(await runMigrations(databaseUrl(), () => undefined)).toEqual([]);
    const admin = process.env.BATON_E2E_ADMIN_DATABASE_URL as string;
    const name = `baton_migrate_race_${Date.now().toString(36)}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
      const url = new URL(admin);
      url.pathname = `/${name}`;
      const results = await Promise.all([runMigrations(url.toString(), () => undefined), runMigrations(url.toString(), () => undefined), runMigrations(url.toString(), () => undefined)]);
      const applied = results.flat();
      expect(new Set(applied).size).toBe(applied.length);
      expect(applied.length).toBeGreaterThan(0);
    } finally {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    }
  });

  it('refuses to continue past a migration that failed earlier, and says how to recover', async () => {
    const admin = process.env.BATON_E2E_ADMIN_DATABASE_URL as string;
    const name = `baton_migrate_failed_${Date.now().toString(36)}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
      const url = new URL(admin);
      url.pathname = `/${name}`;
      const target = new pg.Client({ connectionString: url.toString() });
      await target.connect();
      await runMigrations(url.toString(), () => undefined);
      await target.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs) VALUES ('x', 'y', '29990101000000_broken', 'syntax error')`);
      await target.end();
      await expect(runMigrations(url.toString(), () => undefined)).rejects.toThrow(/29990101000000_broken failed earlier .*rolled_back_at/);
    } finally {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    }
  });
});
