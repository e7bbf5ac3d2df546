import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { BatonProcess } from 'bench/support/baton-process.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient } from 'test/support/baton-app.js';
import { watchUpdates } from 'test/support/notifications.js';
import { RoundRobinProxy } from 'test/support/round-robin-proxy.js';
import { testSettings } from 'test/support/test-config.js';
import { callOk } from 'test/support/tool-calls.js';
import { waitFor } from 'test/support/wait-for.js';

// Two `baton serve` processes on one database and one Redis, behind a
// round-robin proxy with no session affinity.
const replicas: BatonProcess[] = [];
let proxy: RoundRobinProxy;
const clients: Client[] = [];

async function client(url: URL, name: string): Promise<Client> {
  const connected = await connectHttpClient(url, name);
  clients.push(connected);
  return connected;
}

beforeAll(async () => {
  const logs = mkdtempSync(join(tmpdir(), 'baton-replicas-'));
  const settings = testSettings({ BATON_LOG_LEVEL: 'warn' });
  for (const name of ['a', 'b']) replicas.push(await BatonProcess.start(settings, join(logs, `${name}.log`)));
  proxy = await RoundRobinProxy.start(replicas.map((r) => r.url));
}, 200_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await proxy?.close();
  await Promise.all(replicas.map((r) => r.stop()));
});

describe('several replicas behind a round-robin load balancer', () => {
  it('serves one MCP session from both replicas: register, append and request a handoff', async () => {
    const agent = await client(proxy.url, 'replicas-agent');
    const before = proxy.routed.length;
    const sessionKey = await registerSession(agent);
    const sequences: number[] = [];
    for (let i = 0; i < 6; i++) sequences.push((await callOk<{ sequence: number }>(agent, 'update_context', { sessionKey, type: 'note', content: `step ${i}` })).sequence);
    const handoff = await callOk<{ status: string; packageTokens: number }>(agent, 'request_handoff', { sessionKey, targetAgent: 'reviewer', type: 'context_transfer' });
    expect(sequences).toEqual([1, 2, 3, 4, 5, 6]);
    expect(handoff.status).toBe('pending');
    const served = new Set(proxy.routed.slice(before).filter((r) => r.method === 'POST').map((r) => r.upstream));
    expect(served).toEqual(new Set([0, 1]));
  });

  it('delivers to a subscriber connected through the proxy the appends made on the other replica', async () => {
    const writer = await client(proxy.url, 'replicas-writer');
    const sessionKey = await registerSession(writer);
    const subscriber = await client(proxy.url, 'replicas-subscriber');
    const updates = watchUpdates(subscriber);
    const uri = `handoff://sessions/${sessionKey}/context`;
    await subscriber.subscribeResource({ uri });
    // The replica holding the subscriber's notification stream (its GET).
    const stream = await waitFor('the subscriber\'s GET stream', () => proxy.routed.filter((r) => r.method === 'GET').at(-1));
    const other = replicas[1 - stream.upstream] as BatonProcess;
    const direct = await client(other.url, 'replicas-direct');
    const heard = updates.next(uri, 10_000);
    await callOk(direct, 'update_context', { sessionKey, type: 'decision', content: 'Appended on the replica without the stream' });
    await heard;
    expect(updates.uris).toContain(uri);
  });

  it('loses no acknowledged write when a replica is killed under load; clients re-initialize where their request failed', async () => {
    const setup = await client(proxy.url, 'replicas-survivor');
    const sessionKey = await registerSession(setup);
    const acknowledged = new Map<string, number>();
    let reinitialized = 0;
    // Four clients append at once; replica a dies while requests are in flight.
    const writer = async (w: number): Promise<void> => {
      let agent: Client | undefined;
      for (let i = 0; i < 15; i++) {
        const idempotencyKey = `w${w}-${i}`;
        for (let attempt = 0; ; attempt++) {
          try {
            agent ??= await client(proxy.url, `replicas-writer-${w}-${attempt}`);
            const result = await callOk<{ sequence: number }>(agent, 'update_context', { sessionKey, type: 'note', content: idempotencyKey, idempotencyKey });
            acknowledged.set(idempotencyKey, result.sequence);
            break;
          } catch (error) {
            if (attempt >= 3) throw error;
            // What a client does when its server went away: a fresh MCP session,
            // then the same write again (the idempotency key makes it safe).
            if (agent !== undefined) reinitialized++;
            agent = undefined;
          }
        }
      }
    };
    const writers = [0, 1, 2, 3].map((w) => writer(w));
    await waitFor('a few writes', () => acknowledged.size >= 12);
    await (replicas[0] as BatonProcess).kill();
    await Promise.all(writers);

    expect(acknowledged.size).toBe(60);
    const reader = await client(proxy.url, 'replicas-reader');
    const { entries } = await callOk<{ entries: { sequence: number; content: string }[] }>(reader, 'get_context', { sessionKey, limit: 100 });
    // Every acknowledged write is there once, and nothing else: no gaps, no duplicates.
    expect(entries.map((e) => e.sequence)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const [key, sequence] of acknowledged) expect(entries.find((e) => e.sequence === sequence)?.content).toBe(key);
    expect(new Set(entries.map((e) => e.content)).size).toBe(60);
    process.stderr.write(`replicas: ${reinitialized} client(s) re-initialized after the kill\n`);
  });
});
