import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import pg from 'pg';

import { PrismaService } from 'src/platform/database/prisma.service.js';
import { asUnavailable } from 'src/platform/errors/unavailable.error.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { hostAndPort, TcpProxy } from 'test/support/tcp-proxy.js';
import { callError, callOk, callTool } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

const databaseUrl = (): string => process.env.BATON_E2E_DATABASE_URL as string;

// PostgreSQL going away mid-session is an outage, not a bug: callers get a
// retryable UNAVAILABLE that says to retry, and the same calls work once it
// is back. A TCP hop between Baton and PostgreSQL is the switch.
describe('a PostgreSQL outage during calls', () => {
  let proxy: TcpProxy;
  let baton: RunningHttpBaton;
  let client: Client;

  beforeAll(async () => {
    proxy = new TcpProxy(hostAndPort(databaseUrl(), 5432));
    await proxy.start();
    baton = await startHttpBaton({ DATABASE_URL: proxy.via(databaseUrl()) });
    client = await connectHttpClient(baton.url);
  });

  afterAll(async () => {
    await client.close();
    await baton.close();
    await proxy.stop();
  });

  it('answers UNAVAILABLE on tools, resources and REST while PostgreSQL is cut off, and serves again once it is back', async () => {
    const key = await registerSession(client);
    expect((await callOk<{ sequence: number }>(client, 'update_context', { sessionKey: key, type: 'note', content: 'before the outage' })).sequence).toBe(1);
    await proxy.stop();

    const write = await callError(client, 'update_context', { sessionKey: key, type: 'note', content: 'during the outage', idempotencyKey: 'during-outage' });
    expect(write.code).toBe('UNAVAILABLE');
    expect(write.message).toMatch(/PostgreSQL.*cannot be reached.*retry in a few seconds/);
    expect((await callError(client, 'get_context', { sessionKey: key })).code).toBe('UNAVAILABLE');
    const outcome = await callTool<{ error: { details: Record<string, unknown> } }>(client, 'list_sessions', {});
    expect(outcome.structured.error.details).toEqual({ dependency: 'PostgreSQL', condition: 'unreachable', retryable: true, retryAfterSeconds: 5 });

    await expect(client.readResource({ uri: `handoff://sessions/${key}` })).rejects.toMatchObject({ code: -32603, data: { code: 'UNAVAILABLE', retryable: true } });

    const rest = await fetch(new URL(`/api/sessions/${key}`, baton.url));
    expect(rest.status).toBe(503);
    expect(rest.headers.get('retry-after')).toBe('5');
    expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
    const ready = await fetch(new URL('/health/ready', baton.url));
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { details: Record<string, { status: string }> }).details.database?.status).toBe('down');

    await proxy.start();
    // The retried write lands once; the sequence stays gapless.
    const retried = await waitFor('PostgreSQL to be reachable again', async () => {
      const attempt = await callTool<{ sequence: number }>(client, 'update_context', { sessionKey: key, type: 'note', content: 'during the outage', idempotencyKey: 'during-outage' });
      return attempt.isError ? undefined : attempt.structured;
    });
    expect(retried.sequence).toBe(2);
    const page = await callOk<{ entries: { sequence: number; content: string }[] }>(client, 'get_context', { sessionKey: key });
    expect(page.entries.map((e) => [e.sequence, e.content])).toEqual([
      [1, 'before the outage'],
      [2, 'during the outage'],
    ]);
    expect((await fetch(new URL(`/api/sessions/${key}`, baton.url))).status).toBe(200);
  });

  it('classifies a query whose connection the server terminated (pg_terminate_backend) as an outage', async () => {
    const prisma = baton.app.get(PrismaService);
    const marker = `outage_probe_${Date.now()}`;
    // Prisma queries run once awaited: start it now, collect the failure.
    const failure = prisma.$queryRawUnsafe(`SELECT pg_sleep(30) AS ${marker}`).then(
      () => undefined,
      (error: unknown) => error,
    );
    const admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    try {
      await waitFor('the query to run', async () => (await admin.query(`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE query LIKE '%${marker}%' AND pid <> pg_backend_pid()`)).rows.length > 0);
    } finally {
      await admin.end();
    }
    const error = await failure;
    expect(error).toBeDefined();
    expect(asUnavailable(error)?.dependency).toBe('PostgreSQL');
  });
});
