import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';

// A change to any tool's or resource's contract shows up here as a reviewed
// snapshot diff.
let baton: RunningHttpBaton;
let client: Client;

beforeAll(async () => {
  baton = await startHttpBaton();
  client = await connectHttpClient(baton.url);
});

afterAll(async () => {
  await client.close();
  await baton.close();
});

it('keeps the tool contracts', async () => {
  const { tools } = await client.listTools();
  expect(tools.sort((a, b) => a.name.localeCompare(b.name))).toMatchSnapshot();
});

it('keeps the resource and template contracts', async () => {
  const { resourceTemplates } = await client.listResourceTemplates();
  expect(resourceTemplates.sort((a, b) => a.name.localeCompare(b.name))).toMatchSnapshot();
  const { resources } = await client.listResources();
  expect(resources.filter((r) => !r.uri.startsWith('handoff://sessions/'))).toMatchSnapshot();
});

it('declares its capabilities and server identity', () => {
  expect(client.getServerCapabilities()).toMatchSnapshot();
  expect(client.getServerVersion()).toMatchObject({ name: 'baton' });
  expect(client.getInstructions()).toContain('register_session');
});
