import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { WorkerService } from 'src/platform/queue/worker.service.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { callOk, readJson } from 'test/support/tool-calls.js';

let baton: RunningHttpBaton;
let client: Client;

beforeAll(async () => {
  // Pending handoffs expire after one second here, through the worker's delayed job.
  baton = await startHttpBaton({ BATON_HANDOFF_TTL_SECONDS: '1', BATON_REDIS_PREFIX: `${process.env.BATON_E2E_REDIS_PREFIX}-expiry` });
  await baton.app.get(WorkerService).start();
  client = await connectHttpClient(baton.url);
});

afterAll(async () => {
  await client.close();
  await baton.close();
});

it('expires a pending handoff through its delayed job and notifies the addressed agent', async () => {
  const key = await registerSession(client);
  const inbox = 'handoff://agents/expiring-agent/handoffs';
  const expired = new Promise<void>((resolve) => {
    let seen = 0;
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      // The first notice is the request itself, the second its expiry.
      if (n.params.uri === inbox && ++seen === 2) resolve();
    });
  });
  await client.subscribeResource({ uri: inbox });
  const requestedAt = new Date(Date.now() - 1000).toISOString();
  const { handoffId } = await callOk<{ handoffId: string }>(client, 'request_handoff', { sessionKey: key, targetAgent: 'expiring-agent', type: 'full_handoff' });
  await expired;
  const read = await readJson<{ handoff: { status: string }; lifecycle: { from: string | null; to: string; agentId: string | null }[] }>(client, `handoff://handoffs/${handoffId}`);
  expect(read.handoff.status).toBe('expired');
  expect(read.lifecycle.map((e) => [e.from, e.to, e.agentId])).toEqual([
    [null, 'pending', 'agent-under-test'],
    ['pending', 'expired', null],
  ]);
  // The audit trail names no caller for it: the system credential, from the job.
  const audit = await readJson<{ events: { action: string; target: string; credentialId: string; source: string; agentId: string | null }[] }>(client, `handoff://audit?action=handoff.*&since=${requestedAt}`);
  const trail = audit.events.filter((e) => e.target === handoffId);
  expect(trail.map((e) => [e.action, e.credentialId, e.source, e.agentId])).toEqual([
    ['handoff.expired', 'system', 'job', null],
    ['handoff.requested', 'local', '127.0.0.1', 'agent-under-test'],
  ]);
}, 20_000);
