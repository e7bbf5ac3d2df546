import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient } from 'test/support/baton-app.js';
import { runEmbeddedBaton as baton, runEmbeddedBatonAs, connectEmbeddedStdio, postmasterPid, processAlive, startEmbeddedServe } from 'test/support/embedded-baton.js';
import { watchUpdates } from 'test/support/notifications.js';
import { callOk } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

// Several processes start, join and stop one PostgreSQL; the first start
// creates it (initdb) and migrates it.
jest.setTimeout(240_000);

async function appendAll(clients: { client: Parameters<typeof callOk>[0] }[], key: string, count: number, label: string): Promise<number[]> {
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) => callOk<{ sequence: number }>((clients[i % clients.length] as { client: Parameters<typeof callOk>[0] }).client, 'update_context', { sessionKey: key, type: 'note', content: `${label} ${i}` })),
  );
  return results.map((r) => r.sequence).sort((a, b) => a - b);
}

// A fresh BATON_HOME for one describe block; its server is killed and the
// directory removed afterwards.
function scratchHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'baton-home-'));
  afterAll(() => {
    const pid = postmasterPid(home);
    if (pid !== null && processAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });
  return home;
}

describe('embedded PostgreSQL without DATABASE_URL or REDIS_URL', () => {
  const home = scratchHome();

  it('is shared by two stdio servers and a serve, carries handoffs across them, survives the death of the process that started it, stops after the last one and keeps every entry', async () => {
    const starter = await connectEmbeddedStdio(home, 'starter');
    const server = postmasterPid(home);
    expect(server).not.toBeNull();
    const joiner = await connectEmbeddedStdio(home, 'joiner');
    const serve = await startEmbeddedServe(home);
    const http = await connectHttpClient(serve.url, 'embedded-http');
    // One server for all of them.
    expect(postmasterPid(home)).toBe(server);

    const status = await baton(home, 'status');
    expect(status.stdout).toContain('mode: embedded PostgreSQL');
    expect(status.stdout).toContain(`data: ${join(home, 'pgdata')}`);
    expect(status.stdout).toContain('queues: PostgreSQL');
    for (const pid of [starter.pid, joiner.pid, serve.process.pid as number]) expect(status.stdout).toContain(`${pid} (`);
    expect(status.stdout).toMatch(/database size: \d+\.\d MiB/);

    // A handoff requested in one process is pushed to a subscriber in another
    // and accepted in a third.
    const key = await registerSession(starter.client, { agentId: 'agent-a' });
    const inbox = 'handoff://agents/agent-b/handoffs';
    const updates = watchUpdates(joiner.client);
    await joiner.client.subscribeResource({ uri: inbox });
    const arrived = updates.next(inbox, 15_000);
    const requested = await callOk<{ handoffId: string }>(starter.client, 'request_handoff', { sessionKey: key, targetAgent: 'agent-b', type: 'context_transfer' });
    await arrived;
    const accepted = await callOk<{ status: string }>(http, 'accept_handoff', { handoffId: requested.handoffId, agentId: 'agent-b' });
    expect(accepted.status).toBe('accepted');

    // 100 concurrent appends through three processes: 1..100, no gap.
    expect(await appendAll([starter, joiner, { client: http }], key, 100, 'first')).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));

    // The process that started the server dies; the others go on.
    process.kill(starter.pid, 'SIGKILL');
    await waitFor('the starter to be gone', () => !processAlive(starter.pid));
    expect(await appendAll([joiner, { client: http }], key, 10, 'after the kill')).toEqual(Array.from({ length: 10 }, (_, i) => i + 101));
    expect(postmasterPid(home)).toBe(server);
    const newcomer = await connectEmbeddedStdio(home, 'newcomer');
    const context = await callOk<{ entries: unknown[] }>(newcomer.client, 'get_context', { sessionKey: key, limit: 1000 });
    expect(context.entries).toHaveLength(110);

    // Everyone leaves: the server stops after the idle period.
    await Promise.all([joiner.client.close(), newcomer.client.close(), http.close()]);
    serve.process.kill('SIGTERM');
    await waitFor('the embedded server to stop', () => server !== null && !processAlive(server) && !existsSync(join(home, 'server.json')), 60_000);

    // A restart finds every acknowledged entry.
    const again = await connectEmbeddedStdio(home, 'restart');
    const restarted = await callOk<{ entries: { sequence: number }[] }>(again.client, 'get_context', { sessionKey: key, limit: 1000 });
    expect(restarted.entries.map((e) => e.sequence)).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));

    // The server and its last client killed outright: PostgreSQL's crash
    // recovery and the stale postmaster.pid leave the data usable.
    const crashed = postmasterPid(home) as number;
    process.kill(again.pid, 'SIGKILL');
    process.kill(crashed, 'SIGKILL');
    await waitFor('the server to die', () => !processAlive(crashed));
    const recovered = await connectEmbeddedStdio(home, 'recovered');
    const after = await callOk<{ entries: unknown[] }>(recovered.client, 'get_context', { sessionKey: key, limit: 1000 });
    expect(after.entries).toHaveLength(110);
    await recovered.client.close();
  });
});

describe('background work on the embedded database', () => {
  const home = scratchHome();

  it('is done by a lone baton stdio: its lifecycle workers connect and the sweep runs without baton worker or serve', async () => {
    const stdio = await connectEmbeddedStdio(home, 'lone', { BATON_SWEEP_INTERVAL_SECONDS: '1' });
    try {
      const status = await waitFor(
        'a scheduled sweep run by the stdio process',
        async () => {
          const current = await callOk<{ queue: { workers: number }; lastSweep: { trigger: string } | null }>(stdio.client, 'get_lifecycle_status', {});
          return current.queue.workers > 0 && current.lastSweep !== null && current;
        },
        60_000,
      );
      expect(status.lastSweep?.trigger).toBe('schedule');
    } finally {
      await stdio.client.close();
    }
  });
});

describe('embedded PostgreSQL in bad situations', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'baton-bad-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('says so when BATON_HOME cannot be created', async () => {
    writeFileSync(join(scratch, 'a-file'), 'not a directory');
    const result = await baton(join(scratch, 'a-file', 'home'), 'migrate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Could not create ${join(scratch, 'a-file', 'home')}`);
    expect(result.stderr).toContain('set BATON_HOME to a directory');
  });

  it('refuses a data directory made by a newer PostgreSQL and leaves it untouched', async () => {
    const home = join(scratch, 'newer');
    mkdirSync(join(home, 'pgdata'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, 'pgdata', 'PG_VERSION'), '99\n');
    const result = await baton(home, 'migrate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('was made by PostgreSQL 99, newer than the PostgreSQL 18');
    expect(existsSync(join(home, 'pgdata', 'PG_VERSION'))).toBe(true);
  });

  // Homes with a database: the server runs as another user (as root) or
  // the command does, and either must reach the homes inside.
  const reachable = mkdtempSync(join(tmpdir(), 'baton-bad-reachable-'));
  chmodSync(reachable, 0o711);
  afterAll(() => rmSync(reachable, { recursive: true, force: true }));

  // A data directory with a database in it, its server stopped again.
  async function migratedHome(name: string, user?: { uid: number; gid: number }): Promise<{ home: string; databases: string[] }> {
    const home = join(reachable, name);
    if (user) {
      mkdirSync(home, { mode: 0o700 });
      chownSync(home, user.uid, user.gid);
    }
    expect((await runEmbeddedBatonAs(user, home, 'migrate')).code).toBe(0);
    await waitFor('the embedded server to stop', async () => (await runEmbeddedBatonAs(user, home, 'status')).stdout.includes('server: not running'), 30_000);
    return { home, databases: readdirSync(join(home, 'pgdata', 'base')).sort() };
  }

  it('will not recreate a finished data directory that lost its PG_VERSION, and leaves its data in place', async () => {
    const { home, databases } = await migratedHome('lost-version');
    rmSync(join(home, 'pgdata', 'PG_VERSION'));
    const result = await baton(home, 'migrate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(home, 'pgdata')} holds a database`);
    expect(result.stderr).toContain('has no PG_VERSION');
    expect(result.stderr).toContain('the data is untouched');
    expect(existsSync(join(home, 'pgdata', 'global', 'pg_control'))).toBe(true);
    expect(readdirSync(join(home, 'pgdata', 'base')).sort()).toEqual(databases);
  });

  // Root writes anywhere: as root, the command runs as another user.
  it('says so, as a user who may not write there, when BATON_HOME cannot be created', async () => {
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    const closed = join(reachable, 'closed');
    mkdirSync(closed, { mode: 0o755 });
    if (!user) chmodSync(closed, 0o555);
    const home = join(closed, 'home');
    const result = await runEmbeddedBatonAs(user, home, 'migrate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Could not create ${home}: permission denied; make it readable and writable by you, or set BATON_HOME to a directory you own`);
    expect(existsSync(home)).toBe(false);
  });

  // Root reads any file: as root, the command runs as another user.
  it('stops, changing nothing, when it cannot read PG_VERSION', async () => {
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    const { home, databases } = await migratedHome('unreadable-version', user);
    const versionFile = join(home, 'pgdata', 'PG_VERSION');
    chmodSync(versionFile, 0o000);
    const result = await runEmbeddedBatonAs(user, home, 'migrate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Could not read ${versionFile}: permission denied; make it readable and writable by you`);
    expect(result.stderr).toContain('Nothing in BATON_HOME was changed');
    expect(existsSync(join(home, 'pgdata', 'global', 'pg_control'))).toBe(true);
    expect(readdirSync(join(home, 'pgdata', 'base')).sort()).toEqual(databases);
  });

  // Only root can give a directory away (CI runs as root).
  (process.getuid?.() === 0 ? it : it.skip)('refuses a BATON_HOME that belongs to another user', async () => {
    const home = join(scratch, 'theirs');
    mkdirSync(home, { mode: 0o700 });
    const other = 65534;
    chownSync(home, other, other);
    const result = await baton(home, 'migrate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`belongs to user id ${other}`);
  });
});

describe('one-shot commands on the embedded database', () => {
  const home = mkdtempSync(join(tmpdir(), 'baton-oneshot-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('`baton keys create` prints the key once and exits, giving up its lease', async () => {
    const started = Date.now();
    const created = await baton(home, 'keys', 'create', '--name', 'ci', '--agent', 'ci-bot', '--role', 'agent', '--expires-in', '1d');
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toMatch(/^baton_[0-9a-f]{16}_[0-9A-Za-z]{43}$/);
    // The idle period is 1 s: a command that kept its lease would hang here.
    expect(Date.now() - started).toBeLessThan(60_000);
    const listed = await baton(home, 'keys', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('ci-bot');
  });
});
