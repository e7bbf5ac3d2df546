import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { PrismaService } from 'src/platform/database/prisma.service.js';
import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { callOk } from 'test/support/tool-calls.js';

// With one pooled connection, every query of the test runs on the connection
// whose prepared statements it then lists.
let baton: RunningHttpBaton;
let client: Client;

beforeAll(async () => {
  baton = await startHttpBaton({ BATON_DB_POOL_SIZE: '1' });
  client = await connectHttpClient(baton.url);
});

afterAll(async () => {
  await client.close();
  await baton.close();
});

it('prepares the append statement once per connection and leaves other queries unnamed', async () => {
  const key = await registerSession(client);
  for (const content of ['first', 'second', 'third']) {
    await callOk(client, 'update_context', { sessionKey: key, type: 'note', content });
  }
  await callOk(client, 'get_context', { sessionKey: key });

  const prepared = await baton.app.get(PrismaService).$queryRaw<{ name: string }[]>`SELECT name FROM pg_prepared_statements ORDER BY name`;
  expect(prepared.map((row) => row.name)).toEqual(['append_entry']);
});
