import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { registerSession } from 'test/factories/session.factory.js';
import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';
import { callOk, readJson } from 'test/support/tool-calls.js';

// Text below the entry size limit that used to hold the whole server: runs
// with no break made the tokenizer (and one redaction search) quadratic.
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

function randomCjk(chars: number): string {
  const alphabet = [...'漢字仮名交じり文中国語日本語部署迁移脚本版本字段启动失败'];
  let seed = 3;
  let text = '';
  while (text.length < chars) {
    seed = (seed * 48271) % 2147483647;
    text += alphabet[seed % alphabet.length];
  }
  return text;
}

describe('adversarial text under the size limit', () => {
  it('appends 200,000 "x" with its token count, where the tokenizer used to block the server for 22 s', async () => {
    const sessionKey = await registerSession(client);
    const appended = await callOk<{ tokenCount: number }>(client, 'update_context', { sessionKey, type: 'note', content: 'x'.repeat(200_000) });
    expect(appended.tokenCount).toBe(25_000);
  });

  it('answers other calls while it counts a long run of CJK', async () => {
    const sessionKey = await registerSession(client);
    const finished: string[] = [];
    const long = callOk(client, 'update_context', { sessionKey, type: 'note', content: randomCjk(40_000) }).then(() => finished.push('long append'));
    // Sent once the long append is being counted.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const short = callOk(client, 'get_context', { sessionKey }).then(() => finished.push('short read'));
    await Promise.all([long, short]);
    expect(finished).toEqual(['short read', 'long append']);
  });

  it('builds a summary of entries made of long runs, a long path and a credential after a dotted run', async () => {
    const sessionKey = await registerSession(client);
    await callOk(client, 'update_context', { sessionKey, type: 'decision', content: `${'a.'.repeat(5_000)} redis://:hunter2-cache@cache.internal:6379` });
    await callOk(client, 'update_context', { sessionKey, type: 'code_change', content: 'Renamed the generated file.', metadata: { files: [`gen/${'x'.repeat(200_000)}.ts`] } });
    await callOk(client, 'update_context', { sessionKey, type: 'note', content: '👩‍👩‍👧‍👦'.repeat(8_000) });
    const summary = await readJson<{ markdown: string; files: { path: string }[]; redactions: { count: number } }>(client, `handoff://sessions/${sessionKey}/summary?tokenBudget=4000`);
    expect(summary.markdown).not.toContain('hunter2-cache');
    expect(summary.files[0]?.path.length).toBe(4097);
    expect(summary.redactions.count).toBeGreaterThanOrEqual(1);
  });
});
