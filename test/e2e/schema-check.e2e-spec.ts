import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { ensureDatabaseSchema, MIGRATIONS_DIR, runMigrations } from 'src/platform/database/migrator.js';
import { INITIALIZE, logLines, rpc, spawnBaton, type BatonProcess } from 'test/support/baton-process.js';

const ALL_MIGRATIONS = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const START_MS = 30_000;

const admin = (): string => process.env.BATON_E2E_ADMIN_DATABASE_URL as string;

function urlOf(database: string): string {
  const url = new URL(admin());
  url.pathname = `/${database}`;
  return url.toString();
}

async function onAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: admin() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function appliedIn(database: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: urlOf(database) });
  await client.connect();
  try {
    return (await client.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY migration_name')).rows.map((r) => r.migration_name);
  } finally {
    await client.end();
  }
}

// A serving command checks the schema before it serves: it migrates what is
// pending (unless told not to) and refuses what it cannot serve, saying why.
describe('the schema check at start', () => {
  const databases: string[] = [];
  const running: BatonProcess[] = [];

  function database(label: string): string {
    const name = `${new URL(process.env.BATON_E2E_DATABASE_URL as string).pathname.slice(1)}_${label}_${randomBytes(3).toString('hex')}`;
    databases.push(name);
    return name;
  }

  afterEach(async () => {
    for (const baton of running.splice(0)) baton.kill();
    await onAdmin(async (client) => {
      for (const name of databases.splice(0)) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  });

  function start(args: string[], name: string, extra: Record<string, string> = {}): BatonProcess {
    const baton = spawnBaton(args, { DATABASE_URL: urlOf(name), BATON_LOG_LEVEL: 'info', ...extra });
    running.push(baton);
    return baton;
  }

  async function refusal(baton: BatonProcess): Promise<string> {
    expect(await baton.exitedWithin(START_MS)).toBe(2);
    const fatal = logLines(baton.stderr()).find((line) => line.level === 60);
    expect(fatal).toBeDefined();
    return fatal?.msg as string;
  }

  it('baton stdio creates a missing database, migrates it and serves', async () => {
    const name = database('missing');
    const baton = start(['stdio'], name);
    const init = await rpc(baton.child, 1, 'initialize', INITIALIZE);
    expect(init.result).toBeDefined();
    const call = await rpc(baton.child, 2, 'tools/call', { name: 'register_session', arguments: { agentId: 'first-start' } });
    expect((call.result as { isError?: boolean }).isError).toBeFalsy();
    expect(await appliedIn(name)).toEqual(ALL_MIGRATIONS);
    baton.child.stdin?.end();
    expect(await baton.exitedWithin(5_000)).toBe(0);
  });

  it.each([['stdio'], ['serve'], ['worker']])('baton %s refuses an unmigrated database when BATON_AUTO_MIGRATE=false, naming baton migrate', async (command) => {
    const name = database('empty');
    await onAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
    const message = await refusal(start(command === 'serve' ? ['serve', '--port', '1'] : [command], name, { BATON_AUTO_MIGRATE: 'false' }));
    expect(message).toContain(`lacks ${ALL_MIGRATIONS.length} migration(s)`);
    expect(message).toContain('`baton migrate`');
  });

  it('baton stdio refuses a missing database when BATON_AUTO_MIGRATE=false', async () => {
    const message = await refusal(start(['stdio'], database('absent'), { BATON_AUTO_MIGRATE: 'false' }));
    expect(message).toMatch(/does not exist, .*Run `baton migrate`/);
  });

  it('baton stdio stops with a clear message when PostgreSQL cannot be reached', async () => {
    const closed = new URL(admin());
    closed.hostname = '127.0.0.1';
    closed.port = '1';
    closed.pathname = '/baton';
    const baton = spawnBaton(['stdio'], { DATABASE_URL: closed.toString() });
    running.push(baton);
    expect(await refusal(baton)).toMatch(/^Cannot connect to PostgreSQL at 127\.0\.0\.1:1 \(.*ECONNREFUSED.*\)\. Check that it is running and that DATABASE_URL names it/);
  });

  it('baton stdio refuses a database a newer Baton migrated, and so does baton migrate', async () => {
    const name = database('newer');
    await runMigrations(urlOf(name), () => undefined);
    const client = new pg.Client({ connectionString: urlOf(name) });
    await client.connect();
    await client.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count) VALUES ('future', 'x', '29990101000000_from_the_future', now(), 1)`);
    await client.end();
    const message = await refusal(start(['stdio'], name));
    expect(message).toContain('29990101000000_from_the_future');
    expect(message).toContain('a newer Baton migrated it');
    await expect(runMigrations(urlOf(name), () => undefined)).rejects.toThrow(/newer Baton/);
  });

  it('applies only what is pending on a partly migrated database', async () => {
    const name = database('partial');
    const older = mkdtempSync(join(tmpdir(), 'baton-migrations-'));
    try {
      cpSync(join(MIGRATIONS_DIR, ALL_MIGRATIONS[0] as string), join(older, ALL_MIGRATIONS[0] as string), { recursive: true });
      expect(await ensureDatabaseSchema(urlOf(name), { autoMigrate: true, log: () => undefined, directory: older })).toEqual([ALL_MIGRATIONS[0]]);
    } finally {
      rmSync(older, { recursive: true, force: true });
    }
    const lines: string[] = [];
    expect(await ensureDatabaseSchema(urlOf(name), { autoMigrate: true, log: (line) => lines.push(line) })).toEqual(ALL_MIGRATIONS.slice(1));
    expect(lines[0]).toContain(`lacks ${ALL_MIGRATIONS.length - 1} migration(s)`);
    expect(await ensureDatabaseSchema(urlOf(name), { autoMigrate: false, log: () => undefined })).toEqual([]);
  });

  it('lets several instances start on a fresh database at once, each migration applied once', async () => {
    const name = database('race');
    const results = await Promise.all([1, 2, 3].map(() => ensureDatabaseSchema(urlOf(name), { autoMigrate: true, log: () => undefined })));
    expect(results.flat().sort()).toEqual(ALL_MIGRATIONS);
    expect(await appliedIn(name)).toEqual(ALL_MIGRATIONS);
  });
});
