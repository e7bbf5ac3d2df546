import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';
import pg from 'pg';

import { registerSession } from 'test/factories/session.factory.js';
import { connectEmbeddedStdio, postmasterPid, processAlive, runEmbeddedBaton as baton } from 'test/support/embedded-baton.js';
import { callOk } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

// The embedded PostgreSQL meets what users' machines leave behind: a port
// taken by another program, a start-up lock of a crashed process, a database
// migrated by a newer Baton. Each start says what is wrong or recovers, and
// nothing stored is lost.
jest.setTimeout(180_000);

interface ServerRecord {
  port: number;
  keeperPid: number;
  startedAt: string;
  postgresVersion: string;
}

const serverRecord = (home: string): ServerRecord => JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')) as ServerRecord;
const credentials = (home: string): { user: string; password: string; database: string } => JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8'));

function recordPort(home: string, port: number): void {
  writeFileSync(join(home, 'server.json'), JSON.stringify({ port, keeperPid: 0, startedAt: new Date().toISOString(), postgresVersion: '18' }), { mode: 0o600 });
}

// Writes until the file system is full (PostgreSQL may take space meanwhile).
function fillDisk(path: string): void {
  const chunk = Buffer.alloc(1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

async function stopped(home: string): Promise<void> {
  await waitFor('the embedded server to stop', () => {
    const pid = postmasterPid(home);
    return pid === null || !processAlive(pid);
  });
}

describe('embedded PostgreSQL after what users\' machines leave behind', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'baton-recovery-'));
  // As root, the server runs as another user, who must reach the homes inside.
  chmodSync(scratch, 0o711);
  const homes: string[] = [];
  const home = (name: string): string => {
    const path = join(scratch, name);
    homes.push(path);
    return path;
  };

  afterAll(() => {
    for (const path of homes) {
      const pid = postmasterPid(path);
      if (pid !== null && processAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it('does not join another PostgreSQL that took the recorded port, even one that accepts its credentials', async () => {
    const theirs = home('theirs');
    const mine = home('mine');
    const other = await connectEmbeddedStdio(theirs, 'other-home');
    try {
      const taken = serverRecord(theirs).port;
      // The worst case: the server on the recorded port lets these credentials in.
      mkdirSync(mine, { mode: 0o700 });
      copyFileSync(join(theirs, 'credentials.json'), join(mine, 'credentials.json'));
      recordPort(mine, taken);

      const result = await baton(mine, 'migrate');
      expect(result.stderr).not.toContain('Error');
      expect(result.code).toBe(0);
      expect(existsSync(join(mine, 'pgdata', 'PG_VERSION'))).toBe(true);
      expect(serverRecord(mine).port).not.toBe(taken);
      // The other home's server holds only its own client's lease.
      const status = (await baton(theirs, 'status')).stdout;
      expect(status).toMatch(/processes: \d+ \(stdio, since [^)]+\)\n/);
    } finally {
      await other.client.close();
    }
    await stopped(mine);
  });

  it('starts its own server when the recorded port belongs to a program that is not PostgreSQL', async () => {
    const path = home('silent-port');
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    try {
      mkdirSync(path, { mode: 0o700 });
      const port = (silent.address() as { port: number }).port;
      recordPort(path, port);
      const result = await baton(path, 'migrate');
      expect(result.code).toBe(0);
      expect(serverRecord(path).port).not.toBe(port);
    } finally {
      silent.close();
    }
    await stopped(path);
  });

  it('takes over a start-up lock left by a crashed process', async () => {
    const path = home('stale-lock');
    expect((await baton(path, 'migrate')).code).toBe(0);
    await stopped(path);
    await waitFor('the keeper to release the start-up lock', () => !existsSync(join(path, 'start.lock')));
    // proper-lockfile's lock is a directory, refreshed while held: one a
    // minute old belongs to a process that is gone.
    const lock = join(path, 'start.lock');
    mkdirSync(lock);
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, minuteAgo, minuteAgo);

    const client = await connectEmbeddedStdio(path, 'after-crash');
    const key = await registerSession(client.client, { sessionKey: `lock-${randomUUID()}` });
    const appended = await callOk<{ sequence: number }>(client.client, 'update_context', { sessionKey: key, type: 'note', content: 'after the stale lock' });
    expect(appended.sequence).toBe(1);
    await client.client.close();
    expect(existsSync(lock)).toBe(false);
    await stopped(path);
  });

  it('refuses a database a newer Baton migrated, and leaves every entry in place', async () => {
    const path = home('newer-baton');
    const first = await connectEmbeddedStdio(path, 'before-upgrade');
    const key = await registerSession(first.client, { sessionKey: `newer-${randomUUID()}` });
    await callOk(first.client, 'update_context', { sessionKey: key, type: 'decision', content: 'kept through the refusal' });
    const { user, password, database } = credentials(path);
    // The open stdio client keeps the server up through the refused start.
    const db = new pg.Client({ host: '127.0.0.1', port: serverRecord(path).port, user, password, database });
    await db.connect();
    try {
      await db.query(`INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count) VALUES ($1, 'future', '29991231000000_from_a_newer_baton', now(), 1)`, [randomUUID()]);

      const refused = await baton(path, 'migrate');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('a newer Baton migrated it');
      expect(refused.stderr).toContain('BATON_HOME at another directory');
      expect(refused.stderr).toContain('29991231000000_from_a_newer_baton');

      const entries = await db.query<{ content: string }>('SELECT e.content FROM context_entries e JOIN sessions s ON s.id = e.session_id WHERE s.session_key = $1', [key]);
      expect(entries.rows.map((row) => row.content)).toEqual(['kept through the refusal']);
      const newer = await db.query('SELECT 1 FROM "_prisma_migrations" WHERE migration_name = $1', ['29991231000000_from_a_newer_baton']);
      expect(newer.rowCount).toBe(1);
    } finally {
      await db.end();
      await first.client.close();
    }
    await stopped(path);
  });

  // A small file system of its own shows a full disk; mounting one needs root.
  const mountable = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
  (mountable ? it : it.skip)('says the disk is full, keeps every acknowledged entry when it fills while Baton runs, and carries on once space is freed', async () => {
    const disk = home('small-disk');
    mkdirSync(disk, { mode: 0o711 });
    const mount = (options: string): void => {
      const result = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', disk]);
      if (result.status !== 0) throw new Error(`mount failed: ${result.stderr.toString()}`);
    };
    mount('size=4m,mode=0711');
    try {
      const path = join(disk, 'home');
      const full = await baton(path, 'migrate');
      expect(full.code).toBe(1);
      expect(full.stderr).toContain('The disk is full: free some space and start again.');

      // The cluster takes about 48 MB; the rest of the disk is filled below.
      spawnSync('mount', ['-o', 'remount,size=96m', disk]);
      const client = await connectEmbeddedStdio(path, 'small-disk');
      const key = await registerSession(client.client, { sessionKey: `disk-${randomUUID()}` });
      const acknowledged: number[] = [];
      for (let i = 0; i < 3; i++) acknowledged.push((await callOk<{ sequence: number }>(client.client, 'update_context', { sessionKey: key, type: 'note', content: `before the disk filled ${i}` })).sequence);

      const ballast = join(disk, 'ballast');
      fillDisk(ballast);
      // Words of random letters: PostgreSQL cannot compress them away.
      const filler = (): string => Array.from({ length: 20_000 }, () => randomBytes(6).toString('hex').replace(/[0-9]/g, (d) => 'ghijklmnop'[Number(d)] as string)).join(' ');
      let failure: { code: string; message: string } | undefined;
      for (let i = 0; i < 20 && failure === undefined; i++) {
        const result = (await client.client.callTool({ name: 'update_context', arguments: { sessionKey: key, type: 'note', content: filler() } })) as { isError?: boolean; structuredContent?: { sequence?: number; error?: { code: string; message: string } } };
        if (result.isError) failure = result.structuredContent?.error;
        else acknowledged.push(result.structuredContent?.sequence as number);
      }
      expect(failure?.code).toBe('UNAVAILABLE');
      expect(failure?.message).toContain('has run out of disk space, so this call stored nothing');
      await client.client.close();

      rmSync(ballast);
      const after = await connectEmbeddedStdio(path, 'space-freed');
      const stored: number[] = [];
      for (let afterSequence: number | null = 0; afterSequence !== null; ) {
        const page: { entries: { sequence: number }[]; nextAfterSequence: number | null } = await callOk(after.client, 'get_context', { sessionKey: key, afterSequence, limit: 10 });
        stored.push(...page.entries.map((entry) => entry.sequence));
        afterSequence = page.nextAfterSequence;
      }
      expect(stored).toEqual(expect.arrayContaining(acknowledged));
      const next = await callOk<{ sequence: number }>(after.client, 'update_context', { sessionKey: key, type: 'note', content: 'space again' });
      expect(next.sequence).toBeGreaterThan(Math.max(...acknowledged));
      await after.client.close();
      await stopped(path);
    } finally {
      const pid = postmasterPid(join(disk, 'home'));
      if (pid !== null && processAlive(pid)) process.kill(pid, 'SIGKILL');
      await waitFor('the server to release the small disk', () => spawnSync('umount', [disk]).status === 0).catch(() => spawnSync('umount', ['-l', disk]));
    }
  }, 300_000);
});
