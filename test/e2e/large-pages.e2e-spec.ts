import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { connectStdioClient } from 'test/support/baton-app.js';
import { callOk, readJson } from 'test/support/tool-calls.js';

const ENTRY_BYTES = 200 * 1024;
const ENTRIES = 12;
const PAGE_BYTES = 1024 * 1024;

interface Page {
  entries: { sequence: number; content: string }[];
  nextAfterSequence: number | null;
}

// A session of large entries read by the SDK's own client over stdio, as an
// agent reads it: a page of `limit` 1000 would be 2.4 MB here (and hundreds
// of MB with the default limits), so pages end at BATON_MAX_PAGE_BYTES.
describe('pages of large entries', () => {
  let client: Client;
  const sessionKey = `large-pages-${Date.now().toString(36)}`;

  beforeAll(async () => {
    client = await connectStdioClient({ BATON_MAX_PAGE_BYTES: String(PAGE_BYTES) }, 'large-pages');
    await callOk(client, 'register_session', { sessionKey, agentId: 'agent-large' });
    for (let i = 0; i < ENTRIES; i++) await callOk(client, 'update_context', { sessionKey, type: 'note', content: String(i % 10).repeat(ENTRY_BYTES) });
  });

  afterAll(async () => {
    await client?.close();
  });

  it('ends each get_context page at the byte budget and reaches every entry, in order, by paging', async () => {
    const seen: number[] = [];
    let after = 0;
    for (let pages = 0; pages < ENTRIES; pages++) {
      const page = await callOk<Page>(client, 'get_context', { sessionKey, afterSequence: after, limit: 1000 });
      const bytes = page.entries.reduce((sum, e) => sum + Buffer.byteLength(e.content), 0);
      expect(page.entries.length).toBeGreaterThan(0);
      expect(bytes).toBeLessThanOrEqual(PAGE_BYTES);
      seen.push(...page.entries.map((e) => e.sequence));
      if (page.nextAfterSequence === null) break;
      expect(page.nextAfterSequence).toBe(page.entries.at(-1)?.sequence);
      after = page.nextAfterSequence;
    }
    expect(seen).toEqual(Array.from({ length: ENTRIES }, (_, i) => i + 1));
  });

  it('holds the context resource to the same budget', async () => {
    const page = await readJson<Page>(client, `handoff://sessions/${sessionKey}/context?limit=1000`);
    expect(page.entries.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(page.nextAfterSequence).toBe(5);
  });

  it('returns an entry larger than the budget on its own rather than none', async () => {
    const small = await connectStdioClient({ BATON_MAX_PAGE_BYTES: String(ENTRY_BYTES / 2) }, 'large-pages-small');
    try {
      const page = await callOk<Page>(small, 'get_context', { sessionKey, afterSequence: 3 });
      expect(page.entries.map((e) => e.sequence)).toEqual([4]);
      expect(page.nextAfterSequence).toBe(4);
    } finally {
      await small.close();
    }
  });
});
