import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient } from 'test/support/baton-app.js';
import { INITIALIZE, logLines, rpc, spawnBaton, type BatonProcess } from 'test/support/baton-process.js';
import { ownRedisPrefix, deleteKeysUnder } from 'test/support/own-redis.js';
import { hostAndPort, TcpProxy } from 'test/support/tcp-proxy.js';
import { callOk } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

const UNREACHABLE = 'Redis is unreachable';
// Generous for a loaded CI machine; an idle one starts in about a second.
const START_MS = 30_000;
const STOP_MS = 5_000;

function outageLines(baton: BatonProcess): Record<string, unknown>[] {
  return logLines(baton.stderr()).filter((line) => typeof line.msg === 'string' && line.msg.startsWith(UNREACHABLE));
}

async function callStdioTool(baton: BatonProcess, id: number, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const answer = await rpc(baton.child, id, 'tools/call', { name, arguments: args });
  const result = answer.result as { isError?: boolean; structuredContent: Record<string, unknown> };
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.structuredContent)}`);
  return result.structuredContent;
}

// /health/ready once the application answers it: while `baton serve` starts,
// its port is open already and the answer names no dependency.
async function applicationReadiness(base: string): Promise<{ status: number; body: { details: Record<string, { status: string; message?: string }> } }> {
  return waitFor(
    'the application to answer /health/ready',
    async () => {
      const response = await fetch(`${base}/health/ready`).catch(() => undefined);
      const body = (await response?.json().catch(() => undefined)) as { details: Record<string, { status: string; message?: string }> } | undefined;
      return response && body?.details.database ? { status: response.status, body } : undefined;
    },
    START_MS,
  );
}

// Redis carries notifications, caches and background jobs, never the ledger:
// with Redis away every command starts at once, serves sessions, entries and
// handoffs, says in one log line what is down, and stops when told to.
describe('start-up with Redis unreachable', () => {
  const running: BatonProcess[] = [];
  const proxies: TcpProxy[] = [];
  let closedPort: number;

  beforeAll(async () => {
    closedPort = await new TcpProxy({ host: '127.0.0.1', port: 1 }).reservePort();
  });

  afterEach(async () => {
    for (const baton of running.splice(0)) baton.kill();
    for (const proxy of proxies.splice(0)) await proxy.stop();
  });

  function start(args: string[], redisUrl: string, extra: Record<string, string> = {}): BatonProcess {
    const baton = spawnBaton(args, { REDIS_URL: redisUrl, BATON_LOG_LEVEL: 'info', ...extra });
    running.push(baton);
    return baton;
  }

  async function stdioServes(baton: BatonProcess): Promise<void> {
    const started = Date.now();
    const init = await rpc(baton.child, 1, 'initialize', INITIALIZE);
    expect(init.result).toBeDefined();
    expect(Date.now() - started).toBeLessThan(START_MS);
    baton.child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    const { sessionKey } = (await callStdioTool(baton, 2, 'register_session', { agentId: 'agent-without-redis' })) as { sessionKey: string };
    expect((await callStdioTool(baton, 3, 'update_context', { sessionKey, type: 'note', content: 'written while Redis is away' })).sequence).toBe(1);
    const page = (await callStdioTool(baton, 4, 'get_context', { sessionKey })) as { entries: { content: string }[] };
    expect(page.entries.map((e) => e.content)).toEqual(['written while Redis is away']);
  }

  it('baton stdio answers at once when Redis refuses connections, logs the outage once, and exits when stdin closes', async () => {
    const baton = start(['stdio'], `redis://127.0.0.1:${closedPort}`);
    await stdioServes(baton);
    // What needs Redis says so, promptly and retryably.
    const status = await rpc(baton.child, 5, 'tools/call', { name: 'get_lifecycle_status', arguments: {} });
    expect(status.result).toMatchObject({ isError: true, structuredContent: { error: { code: 'UNAVAILABLE', details: { dependency: 'Redis', retryable: true } } } });
    await waitFor('the outage log line', () => outageLines(baton).length > 0);
    baton.child.stdin?.end();
    expect(await baton.exitedWithin(STOP_MS)).toBe(0);
    // Every reconnect attempt failed meanwhile, yet one line says so.
    expect(outageLines(baton)).toHaveLength(1);
    expect(outageLines(baton)[0]).toMatchObject({ level: 40, dependency: 'redis', redis: `127.0.0.1:${closedPort}` });
    expect(baton.stderr()).not.toMatch(/^\s+at /m);
  });

  it('baton stdio answers when Redis accepts connections but never replies', async () => {
    const silent = new TcpProxy({ host: '127.0.0.1', port: 1 }, true);
    proxies.push(silent);
    const port = await silent.start();
    const baton = start(['stdio'], `redis://127.0.0.1:${port}`);
    await stdioServes(baton);
    await waitFor('the outage log line', () => outageLines(baton).length > 0);
    baton.child.stdin?.end();
    expect(await baton.exitedWithin(STOP_MS)).toBe(0);
    expect(outageLines(baton)).toHaveLength(1);
  });

  it('baton serve opens its port, reports Redis down, serves MCP, and stops promptly on SIGTERM', async () => {
    const port = await new TcpProxy({ host: '127.0.0.1', port: 1 }).reservePort();
    const baton = start(['serve', '--port', String(port)], `redis://127.0.0.1:${closedPort}`);
    const base = `http://127.0.0.1:${port}`;
    const ready = await applicationReadiness(base);
    expect(ready.status).toBe(503);
    const body = ready.body;
    expect(body.details.database?.status).toBe('up');
    expect(body.details.redis).toMatchObject({ status: 'down', message: expect.stringContaining('not connected') });
    const client: Client = await connectHttpClient(new URL(`${base}/mcp`));
    try {
      const key = await registerSession(client);
      expect((await callOk<{ sequence: number }>(client, 'update_context', { sessionKey: key, type: 'note', content: 'over HTTP without Redis' })).sequence).toBe(1);
    } finally {
      await client.close();
    }
    baton.child.kill('SIGTERM');
    expect(await baton.exitedWithin(STOP_MS)).toBe(0);
    expect(outageLines(baton)).toHaveLength(1);
  });

  it('baton worker starts, logs the outage once and stops promptly on SIGTERM', async () => {
    const baton = start(['worker'], `redis://127.0.0.1:${closedPort}`);
    await waitFor('the outage log line', () => outageLines(baton).length > 0, START_MS);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    baton.child.kill('SIGTERM');
    expect(await baton.exitedWithin(STOP_MS)).toBe(0);
    expect(outageLines(baton)).toHaveLength(1);
  });

  it('baton serve recovers when Redis comes up: readiness, workers and the log say so', async () => {
    const prefix = ownRedisPrefix('recovery');
    const proxy = new TcpProxy(hostAndPort(process.env.BATON_E2E_REDIS_URL as string, 6379));
    proxies.push(proxy);
    const redisPort = await proxy.reservePort();
    const port = await new TcpProxy({ host: '127.0.0.1', port: 1 }).reservePort();
    const baton = start(['serve', '--port', String(port)], proxy.via(process.env.BATON_E2E_REDIS_URL as string), { BATON_REDIS_PREFIX: prefix });
    const base = `http://127.0.0.1:${port}`;
    try {
      expect((await applicationReadiness(base)).status).toBe(503);
      expect(redisPort).toBe(proxy.port);
      await proxy.start();
      await waitFor('the recovery log line', () => logLines(baton.stderr()).some((line) => line.msg === 'Redis is reachable again; notifications, caching and background jobs resume'), START_MS);
      await waitFor('readiness', async () => (await fetch(`${base}/health/ready`)).status === 200, START_MS);
      const client = await connectHttpClient(new URL(`${base}/mcp`));
      try {
        // The workers connected and their start hooks ran: the sweep is scheduled.
        await waitFor(
          'the lifecycle worker and its sweep schedule',
          async () => {
            const status = await callOk<{ queue: { workers: number }; sweepSchedule: unknown }>(client, 'get_lifecycle_status', {});
            return status.queue.workers >= 1 && status.sweepSchedule !== null;
          },
          START_MS,
        );
        // Losing Redis again later is one more line, and the ledger keeps working.
        await proxy.stop();
        await waitFor('the second outage line', () => outageLines(baton).length === 2, START_MS);
        const key = await registerSession(client);
        expect((await callOk<{ sequence: number }>(client, 'update_context', { sessionKey: key, type: 'note', content: 'after Redis left again' })).sequence).toBe(1);
      } finally {
        await client.close();
      }
      baton.child.kill('SIGTERM');
      expect(await baton.exitedWithin(STOP_MS)).toBe(0);
      expect(outageLines(baton)).toHaveLength(2);
    } finally {
      await deleteKeysUnder(prefix);
    }
  });
});
