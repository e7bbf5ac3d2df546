import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { callOk } from 'test/support/tool-calls.js';

// Redis carries notifications (and later caches and queues), never the
// ledger itself: with Redis unreachable, writes and reads keep working and
// readiness says what is wrong.
describe('with Redis unreachable', () => {
  let baton: RunningHttpBaton;
  let client: Client;

  beforeAll(async () => {
    baton = await startHttpBaton({ REDIS_URL: 'redis://127.0.0.1:1' });
    client = await connectHttpClient(baton.url);
  });

  afterAll(async () => {
    await client.close();
    await baton.close();
  });

  it('still registers, appends and reads', async () => {
    const key = await registerSession(client);
    const appended = await callOk<{ sequence: number }>(client, 'update_context', { sessionKey: key, type: 'note', content: 'written without Redis' });
    expect(appended.sequence).toBe(1);
    const page = await callOk<{ entries: { content: string }[] }>(client, 'get_context', { sessionKey: key });
    expect(page.entries.map((e) => e.content)).toEqual(['written without Redis']);
  });

  it('still accepts subscriptions', async () => {
    const key = await registerSession(client);
    await expect(client.subscribeResource({ uri: `handoff://sessions/${key}/context` })).resolves.toEqual({});
  });

  it('reports not ready, naming Redis', async () => {
    const response = await fetch(new URL('/health/ready', baton.url));
    expect(response.status).toBe(503);
    const body = (await response.json()) as { details: Record<string, { status: string }> };
    expect(body.details.redis?.status).toBe('down');
    expect(body.details.database?.status).toBe('up');
    expect((await fetch(new URL('/health/live', baton.url))).status).toBe(200);
  });
});
