import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, connectStdioClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { watchUpdates } from 'test/support/notifications.js';
import { callOk, readJson } from 'test/support/tool-calls.js';

let baton: RunningHttpBaton;

beforeAll(async () => {
  baton = await startHttpBaton();
});

afterAll(async () => {
  await baton.close();
});

const transports: [string, () => Promise<Client>][] = [
  ['Streamable HTTP', () => connectHttpClient(baton.url)],
  ['stdio', () => connectStdioClient()],
];

describe.each(transports)('resources over %s', (_name, connect) => {
  let client: Client;

  beforeAll(async () => {
    client = await connect();
  });

  afterAll(async () => {
    await client.close();
  });

  it('reads a session with its lifecycle history', async () => {
    const key = await registerSession(client);
    const body = await readJson<{ session: { sessionKey: string; status: string; repository: { branch: string } }; lifecycle: { from: string | null; to: string; reason: string }[] }>(client, `handoff://sessions/${key}`);
    expect(body.session).toMatchObject({ sessionKey: key, status: 'active', repository: { branch: 'main' } });
    expect(body.lifecycle).toEqual([expect.objectContaining({ from: null, to: 'active', reason: 'registered' })]);
  });

  it('lists active sessions at handoff://sessions and in resources/list', async () => {
    const key = await registerSession(client);
    const body = await readJson<{ sessions: { sessionKey: string }[] }>(client, 'handoff://sessions');
    expect(body.sessions.map((s) => s.sessionKey)).toContain(key);
    const listed = await client.listResources();
    expect(listed.resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['handoff://sessions', `handoff://sessions/${key}`]));
  });

  it('pages a large context with nextUri', async () => {
    const key = await registerSession(client);
    for (let i = 1; i <= 5; i++) await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: `n${i}` });
    const first = await readJson<{ entries: { sequence: number }[]; nextUri?: string }>(client, `handoff://sessions/${key}/context?limit=2`);
    expect(first.entries.map((e) => e.sequence)).toEqual([1, 2]);
    expect(first.nextUri).toBe(`handoff://sessions/${key}/context?afterSequence=2&limit=2`);
    const second = await readJson<{ entries: { sequence: number }[] }>(client, first.nextUri as string);
    expect(second.entries.map((e) => e.sequence)).toEqual([3, 4]);
  });

  it('answers -32002 for an unknown session and for a malformed URI, saying which', async () => {
    await expect(client.readResource({ uri: 'handoff://sessions/nobody-here' })).rejects.toMatchObject({ code: -32002, message: 'MCP error -32002: Session "nobody-here" does not exist in this namespace. Check the key, or open it with register_session.' });
    await expect(client.readResource({ uri: 'handoff://sessions/nobody-here/context' })).rejects.toMatchObject({ code: -32002 });
    await expect(client.readResource({ uri: 'handoff://nonsense/path/deep' })).rejects.toMatchObject({ code: -32002, message: expect.stringContaining('matches none of') });
    await expect(client.subscribeResource({ uri: 'handoff://sessions/nobody-here/context' })).rejects.toMatchObject({ code: -32002 });
  });

  it('lists templates and completes session keys', async () => {
    const key = await registerSession(client, { sessionKey: `complete-me-${Date.now()}` });
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(expect.arrayContaining(['handoff://sessions/{sessionKey}', 'handoff://sessions/{sessionKey}/context{?afterSequence,limit}']));
    const completion = await client.complete({ ref: { type: 'ref/resource', uri: 'handoff://sessions/{sessionKey}' }, argument: { name: 'sessionKey', value: 'complete-me-' } });
    expect(completion.completion.values).toContain(key);
  });

  it('notifies a subscriber of every append to the session context', async () => {
    const key = await registerSession(client);
    const updates = watchUpdates(client);
    const uri = `handoff://sessions/${key}/context`;
    await client.subscribeResource({ uri });
    const arrived = updates.next(uri);
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'notify me' });
    await arrived;
    const again = updates.next(uri);
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'and again' });
    await again;
    await client.unsubscribeResource({ uri });
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content: 'silence' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(updates.uris.filter((u) => u === uri)).toHaveLength(2);
  });
});

it('notifies a stdio subscriber of an append made over HTTP (another process)', async () => {
  const writer = await connectHttpClient(baton.url);
  const reader = await connectStdioClient();
  try {
    const key = await registerSession(writer);
    const uri = `handoff://sessions/${key}/context`;
    const updates = watchUpdates(reader);
    await reader.subscribeResource({ uri });
    const arrived = updates.next(uri);
    await callOk(writer, 'update_context', { sessionKey: key, type: 'decision', content: 'shared across processes' });
    await arrived;
  } finally {
    await Promise.all([writer.close(), reader.close()]);
  }
});
