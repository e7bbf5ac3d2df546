import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { INITIALIZE, logLines, rpc, spawnBaton, type BatonProcess } from 'test/support/baton-process.js';
import { childEnv, testSettings } from 'test/support/test-config.js';
import { waitFor } from 'test/support/wait-for.js';

// `baton stdio` belongs to the agent that spawned it: once that agent is gone
// (its pipe closed, or the process itself dead) Baton must not live on.
describe('baton stdio starting up', () => {
  it('answers initialize before its application is up: even when it can never come up, and then says why it stops', async () => {
    // Nothing listens on port 1: the server fails at its database check.
    const baton = spawnBaton(['stdio'], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/baton' });
    try {
      const answer = await rpc(baton.child, 1, 'initialize', INITIALIZE);
      expect(answer.result).toMatchObject({ protocolVersion: '2025-06-18', serverInfo: { name: 'baton' } });
      expect(await baton.exitedWithin(15_000)).toBe(2);
      expect(logLines(baton.stderr()).some((line) => String(line.msg).includes('Cannot connect to PostgreSQL at 127.0.0.1:1'))).toBe(true);
    } finally {
      baton.kill();
    }
  });

  it('answers initialize once, and serves what was sent before the server was up', async () => {
    const baton = spawnBaton(['stdio'], { BATON_LOG_LEVEL: 'info' });
    try {
      const lines: Record<string, unknown>[] = [];
      let buffered = '';
      baton.child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
          lines.push(JSON.parse(buffered.slice(0, at)) as Record<string, unknown>);
          buffered = buffered.slice(at + 1);
        }
      });
      const send = (message: object): unknown => baton.child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
      send({ id: 1, method: 'initialize', params: INITIALIZE });
      send({ method: 'notifications/initialized' });
      send({ id: 2, method: 'tools/list' });
      await waitFor('the answer to tools/list', () => lines.some((m) => m.id === 2), 30_000);
      // The server answered tools/list after initializing from the replayed
      // request; its own answer to that request was dropped.
      await waitFor('the server to log that it is up', () => logLines(baton.stderr()).some((line) => line.msg === 'stdio server up'));
      expect(lines.filter((m) => m.id === 1)).toEqual([{ jsonrpc: '2.0', id: 1, result: expect.objectContaining({ protocolVersion: '2025-06-18', serverInfo: expect.objectContaining({ name: 'baton' }) }) }]);
      expect((lines.find((m) => m.id === 2)?.result as { tools: unknown[] }).tools.length).toBeGreaterThan(5);
    } finally {
      baton.kill();
    }
  });
});

describe('baton stdio ends with its client', () => {
  const running: BatonProcess[] = [];

  afterEach(() => {
    for (const baton of running.splice(0)) baton.kill();
  });

  it('exits with code 0 soon after its stdin closes', async () => {
    const baton = spawnBaton(['stdio'], { BATON_LOG_LEVEL: 'info' });
    running.push(baton);
    const answer = await rpc(baton.child, 1, 'initialize', INITIALIZE);
    expect(answer.result).toBeDefined();
    baton.child.stdin?.end();
    expect(await baton.exitedWithin(5_000)).toBe(0);
    expect(logLines(baton.stderr()).some((line) => line.reason === 'stdin closed')).toBe(true);
  });

  it('exits soon after the process that spawned it dies, even while another process holds its stdin open', async () => {
    // Baton's stdin is a FIFO this test keeps open, as an agent keeps its end
    // of the pipe when a wrapper between it and Baton (`npx`, a shell) dies.
    const dir = mkdtempSync(join(tmpdir(), 'baton-stdin-'));
    const fifo = join(dir, 'stdin');
    execFileSync('mkfifo', [fifo]);
    const stdin = openSync(fifo, 'r+');
    // The wrapper hands its stdin and stdout down to Baton and reports its pid.
    const wrapper = spawn(
      process.execPath,
      ['-e', `const c = require('node:child_process').spawn(process.execPath, [${JSON.stringify(resolve('dist/main.js'))}, 'stdio'], { stdio: 'inherit' }); process.stderr.write('baton-pid ' + c.pid + '\\n'); setInterval(() => {}, 1000);`],
      { env: childEnv(testSettings({ BATON_LOG_LEVEL: 'info' })), stdio: [stdin, 'pipe', 'pipe'] },
    );
    let stderr = '';
    wrapper.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const pid = await waitFor('the wrapper to report Baton\'s pid', () => Number(/baton-pid (\d+)/.exec(stderr)?.[1] ?? 0) || undefined);
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      const answer = await rpc(wrapper, 1, 'initialize', INITIALIZE, (line) => writeSync(stdin, line));
      expect(answer.result).toBeDefined();
      wrapper.kill('SIGKILL');
      await waitFor('Baton to exit after its parent died', () => !alive(), 8_000);
      expect(stderr).toMatch(/"reason":"parent process \d+ exited"/);
    } finally {
      if (alive()) process.kill(pid, 'SIGKILL');
      closeSync(stdin);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
