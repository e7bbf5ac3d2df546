import { jest } from '@jest/globals';

import type { BatonConfig } from 'src/config/config.schema.js';
import type { CacheService } from 'src/platform/cache/cache.service.js';
import { SecretRedactor } from 'src/platform/secrets/secret-redactor.js';
import type { BriefCondenser } from 'src/features/handoffs/brief-condenser.js';
import { BriefService } from 'src/features/handoffs/brief.service.js';
import type { CodebaseHighlightsProvider } from 'src/features/handoffs/codebase-highlights.provider.js';
import { HandoffPackageBuilder } from 'src/features/handoffs/package.builder.js';
import type { ContextService } from 'src/features/context/context.service.js';
import type { EntryOutline } from 'src/features/context/context.types.js';
import { reduceLedger } from 'src/features/context/ledger-state.reducer.js';
import { sessionRecord } from 'test/factories/session-record.factory.js';

const AT = new Date('2026-11-20T10:00:00Z');
const TOKEN = ['ghp', '16C7e42F292c6912E7710c838347Ae178B4a'].join('_');

const session = sessionRecord({ repository: { branch: 'main', remote: `https://x:${TOKEN}@github.com/acme/api.git` }, lastSequence: 3 });

const outline: EntryOutline[] = [
  { sequence: 1, type: 'todo', metadata: {}, tokenCount: 12, createdAt: AT },
  { sequence: 2, type: 'code_change', metadata: { files: ['src/auth/session.ts'] }, tokenCount: 8, createdAt: AT },
  { sequence: 3, type: 'decision', metadata: {}, tokenCount: 9, createdAt: AT },
];
const contents = new Map([
  [1, `Rotate the CI token ${TOKEN}`],
  [2, 'Await the refresh promise in session.ts'],
  [3, 'Keep real timers in the session tests'],
]);

function setup(options: { highlights?: CodebaseHighlightsProvider; condenser?: BriefCondenser; ledger?: EntryOutline[] } = {}) {
  const ledger = options.ledger ?? outline;
  const context = {
    ledgerState: jest.fn(async () => reduceLedger(ledger)),
    outlineOf: jest.fn(async (_id: string, sequences: number[]) => ledger.filter((e) => sequences.includes(e.sequence))),
    contents: jest.fn(async () => contents),
  };
  const keys: string[] = [];
  const cache = {
    getOrCompute: jest.fn(async (_cache: string, key: string, _ttl: number, compute: () => Promise<unknown>) => {
      keys.push(key);
      return { value: await compute(), hit: false };
    }),
  };
  const config = { cache: { briefTtlSeconds: 900, dormantBriefTtlSeconds: 60 } } as BatonConfig;
  const service = new BriefService(context as unknown as ContextService, new HandoffPackageBuilder(), new SecretRedactor(), cache as unknown as CacheService, config, options.highlights, options.condenser);
  return { service, cache, keys };
}

describe('BriefService', () => {
  it('redacts secrets in contents, the repository anchor and the instructions before building', async () => {
    const { service } = setup();
    const { package: pkg, touchedFiles } = await service.brief('handoff-brief', session, 1000, { type: 'context_transfer', fromAgentId: 'claude@laptop', targetAgentId: 'codex@ci', instructions: `use ${TOKEN}` });
    expect(JSON.stringify(pkg)).not.toContain(TOKEN);
    expect(pkg.openTodos[0]?.quoted).toBe('Rotate the CI token [REDACTED:GITHUB_TOKEN]');
    expect(pkg.redactions.count).toBe(3);
    expect(touchedFiles).toEqual(['src/auth/session.ts']);
  });

  it('keys the cache by ledger version and uses the shorter TTL for sessions that are not active', async () => {
    const { service, cache, keys } = setup();
    await service.brief('session-summary', session, 1000, null);
    await service.brief('session-summary', { ...session, lastSequence: 4 }, 1000, null);
    await service.brief('session-summary', { ...session, status: 'dormant' }, 1000, null);
    expect(new Set(keys).size).toBe(3);
    expect(cache.getOrCompute.mock.calls.map((c) => c[2])).toEqual([900, 900, 60]);
  });

  it('builds without highlights when the provider fails, and shows them when it answers', async () => {
    const failing = { highlightsFor: jest.fn(async () => Promise.reject(new Error('no analysis'))) };
    expect((await setup({ highlights: failing }).service.brief('session-summary', session, 1000, null)).package.codebaseHighlights).toEqual([]);
    const working = { highlightsFor: jest.fn(async () => [{ path: 'src/auth/session.ts', summary: 'refresh flow; 3 callers', score: 0.9 }]) };
    const { package: pkg } = await setup({ highlights: working }).service.brief('session-summary', session, 1000, null);
    expect(pkg.codebaseHighlights).toEqual([{ path: 'src/auth/session.ts', summary: 'refresh flow; 3 callers', score: 0.9 }]);
    expect(working.highlightsFor).toHaveBeenCalledWith(expect.objectContaining({ files: ['src/auth/session.ts'], sessionKey: 'fix-login' }));
  });

  it('takes a condensed brief within budget, and otherwise keeps the deterministic one and says why', async () => {
    const usage = { inputTokens: 900, outputTokens: 40 };
    const condenser = (condense: () => Promise<unknown>): BriefCondenser => ({ provider: 'openai', model: 'gpt-test', condense: jest.fn(condense) as BriefCondenser['condense'] });

    const good = await setup({ condenser: condenser(async () => ({ markdown: '# short', provider: 'openai', model: 'gpt-test', usage })) }).service.brief('session-summary', session, 1000, null);
    expect(good.package).toMatchObject({ mode: 'condensed', markdown: '# short', condensation: { outcome: 'condensed', provider: 'openai', model: 'gpt-test', usage, reason: null } });
    expect(good.package.budget.packageTokens).toBeLessThan(10);

    const tooLong = await setup({ condenser: condenser(async () => ({ markdown: 'word '.repeat(2000), provider: 'openai', model: 'gpt-test', usage })) }).service.brief('session-summary', session, 1000, null);
    expect(tooLong.package).toMatchObject({ mode: 'deterministic', condensation: { outcome: 'fallback', reason: 'over_budget', usage } });

    const timedOut = await setup({ condenser: condenser(async () => Promise.reject(Object.assign(new Error('slow'), { reason: 'timeout' }))) }).service.brief('session-summary', session, 1000, null);
    expect(timedOut.package).toMatchObject({ mode: 'deterministic', condensation: { outcome: 'fallback', reason: 'timeout', usage: null } });
    expect(timedOut.package.markdown).toContain('#');
  });

  it('leaves condensation out when no model is configured', async () => {
    expect((await setup().service.brief('session-summary', session, 1000, null)).package).toMatchObject({ mode: 'deterministic', condensation: null });
  });

  it('shows a path longer than any real path cut to 4096 characters', async () => {
    const long = `src/${'x'.repeat(200_000)}.ts`;
    const ledger: EntryOutline[] = [...outline, { sequence: 4, type: 'code_change', metadata: { files: [long] }, tokenCount: 8, createdAt: AT }];
    const { package: pkg, touchedFiles } = await setup({ ledger }).service.brief('session-summary', { ...session, lastSequence: 4 }, 64_000, null);
    const shown = pkg.files.find((f) => f.path.startsWith('src/xxx'));
    expect(shown?.path).toBe(`${long.slice(0, 4096)}…`);
    expect(pkg.markdown).not.toContain(long);
    expect(touchedFiles).toContain(long);
  });
});
