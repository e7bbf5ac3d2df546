import { jest } from '@jest/globals';

import { loadConfig } from 'src/config/config.loader.js';
import type { Clock } from 'src/platform/clock/clock.js';
import type { EventBusService } from 'src/platform/events/event-bus.service.js';
import { ContextErrorCode } from 'src/features/context/context.errors.js';
import type { ContextRepository } from 'src/features/context/context.repository.js';
import { ContextService, LEDGER_STORE_AFTER } from 'src/features/context/context.service.js';
import type { AppendedEntry, EntryOutline, EntryRecord, NewEntry } from 'src/features/context/context.types.js';
import { encodeLedgerState, type StoredLedgerState } from 'src/features/context/ledger-state.codec.js';
import { openTodos, reduceLedger } from 'src/features/context/ledger-state.reducer.js';
import type { LedgerStateRepository, StoredLedger } from 'src/features/context/ledger-state.repository.js';
import { SessionError } from 'src/features/sessions/sessions.errors.js';
import type { SessionsService } from 'src/features/sessions/sessions.service.js';
import type { SessionRecord } from 'src/features/sessions/sessions.types.js';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const SESSION: SessionRecord = {
  id: 'sid',
  namespace: 'ns',
  sessionKey: 'k',
  agentId: 'a',
  title: null,
  status: 'active',
  repository: {},
  metadata: {},
  lastSequence: 4,
  createdAt: NOW,
  lastActivityAt: NOW,
  expiresAt: NOW,
  archivedAt: null,
  handedOffAgentIds: [],
  tags: [],
  legalHold: false,
};

function entry(overrides: Partial<EntryRecord> = {}): EntryRecord {
  return { id: 'e1', sequence: 1, type: 'note', content: 'hi', metadata: {}, tokenCount: 1, contentHash: '8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4', idempotencyKey: 'k1', createdAt: NOW, ...overrides };
}

function setup(maxEntryBytes = '1024', settings: Record<string, string> = {}) {
  const repository = {
    appendUnlessDuplicate: jest.fn(async (_e: NewEntry) => ({ entryId: 'new', sessionId: 's1', sequence: 5, reactivated: false }) as AppendedEntry | 'duplicate' | null),
    findByIdempotencyKey: jest.fn(async () => null as EntryRecord | null),
    listAfter: jest.fn(async () => [] as EntryRecord[]),
    outline: jest.fn(async (_id: string, _after?: number) => [] as EntryOutline[]),
  };
  const sessions = {
    get: jest.fn(async () => SESSION),
    getReadable: jest.fn(async () => SESSION),
    findByKey: jest.fn(async () => SESSION as SessionRecord | null),
    explainUnwritable: jest.fn((s: SessionRecord | null, key: string) => (s ? null : SessionError.notFound(key))),
    pageSize: jest.fn((n?: number) => n ?? 100),
  };
  const events = { publish: jest.fn() };
  const clock: Clock = { now: () => NOW };
  const ledgers = { find: jest.fn(async (_id: string) => null as StoredLedger | null), save: jest.fn(async (_id: string, _state: StoredLedgerState) => undefined) };
  const service = new ContextService(repository as unknown as ContextRepository, ledgers as unknown as LedgerStateRepository, sessions as unknown as SessionsService, events as unknown as EventBusService, clock, loadConfig({ BATON_MAX_ENTRY_BYTES: maxEntryBytes, ...settings }, {}));
  return { service, repository, ledgers, sessions, events };
}

describe('ContextService.append', () => {
  it('counts tokens, hashes content and passes the highest ref to the single-statement append', async () => {
    const { service, repository, events } = setup();
    const result = await service.append('ns', { sessionKey: 'k', type: 'todo', content: 'done with it', metadata: { refs: [2, 4], status: 'done' } });
    const written = repository.appendUnlessDuplicate.mock.calls[0]?.[0] as NewEntry;
    expect(written).toMatchObject({ highestRef: 4, at: NOW, idempotencyKey: null, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(written.tokenCount).toBeGreaterThan(0);
    expect(result).toEqual({ sessionKey: 'k', sequence: 5, entryId: 'new', tokenCount: written.tokenCount, sessionStatus: 'active', duplicate: false });
    expect(events.publish).toHaveBeenCalledWith({ namespace: 'ns', type: 'context.appended', subject: { sessionKey: 'k', sequence: '5' }, audience: 'subscriptions' });
  });

  it('rejects unknown types, empty content and malformed refs before touching storage', async () => {
    const { service, repository } = setup();
    await expect(service.append('ns', { sessionKey: 'k', type: 'thought' as never, content: 'x' })).rejects.toMatchObject({ code: ContextErrorCode.InvalidArgument, message: expect.stringContaining('use one of: message, decision') });
    await expect(service.append('ns', { sessionKey: 'k', type: 'note', content: '' })).rejects.toMatchObject({ code: ContextErrorCode.InvalidArgument });
    await expect(service.append('ns', { sessionKey: 'k', type: 'note', content: 'x', metadata: { refs: ['3'] } })).rejects.toMatchObject({ message: expect.stringContaining('metadata.refs') });
    expect(repository.appendUnlessDuplicate).not.toHaveBeenCalled();
  });

  it('measures size in UTF-8 bytes of content plus metadata', async () => {
    const { service } = setup('10');
    await expect(service.append('ns', { sessionKey: 'k', type: 'note', content: 'ééééé' })).resolves.toBeDefined();
    await expect(service.append('ns', { sessionKey: 'k', type: 'note', content: 'éééééé' })).rejects.toMatchObject({ code: ContextErrorCode.EntryTooLarge, details: { size: 12, limit: 10 } });
  });

  it('returns the original entry for a known idempotency key without writing', async () => {
    const { service, repository } = setup();
    repository.findByIdempotencyKey.mockResolvedValueOnce(entry());
    const result = await service.append('ns', { sessionKey: 'k', type: 'note', content: 'hi', idempotencyKey: 'k1' });
    expect(result).toMatchObject({ sequence: 1, entryId: 'e1', duplicate: true });
    expect(repository.appendUnlessDuplicate).not.toHaveBeenCalled();
  });

  it('resolves a lost race on the same idempotency key to the winner', async () => {
    const { service, repository } = setup();
    repository.appendUnlessDuplicate.mockResolvedValueOnce('duplicate');
    repository.findByIdempotencyKey.mockResolvedValueOnce(null).mockResolvedValueOnce(entry());
    await expect(service.append('ns', { sessionKey: 'k', type: 'note', content: 'hi', idempotencyKey: 'k1' })).resolves.toMatchObject({ entryId: 'e1', duplicate: true });
  });

  it('explains a rejected append: missing session, or a ref past the last entry', async () => {
    const { service, repository, sessions } = setup();
    repository.appendUnlessDuplicate.mockResolvedValue(null);
    sessions.findByKey.mockResolvedValueOnce(null);
    await expect(service.append('ns', { sessionKey: 'gone', type: 'note', content: 'x' })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await expect(service.append('ns', { sessionKey: 'k', type: 'note', content: 'x', metadata: { refs: [9] } })).rejects.toMatchObject({ message: expect.stringContaining("refs names sequence 9, but the session's last entry is 4") });
  });
});

describe('ContextService.ledgerState', () => {
  const todo = (sequence: number, metadata: Record<string, unknown> = {}): EntryOutline => ({ sequence, type: 'todo', metadata, tokenCount: 3, createdAt: NOW });

  it('applies only the entries after the stored state, and stores the state it reached once enough came', async () => {
    const { service, repository, ledgers } = setup();
    const storedState = encodeLedgerState(reduceLedger([todo(1), todo(2)]));
    ledgers.find.mockResolvedValue({ throughSequence: 2, state: storedState });
    repository.outline.mockResolvedValueOnce([todo(3, { refs: [1], status: 'done' })]);
    const state = await service.ledgerState('sid');
    expect(repository.outline).toHaveBeenCalledWith('sid', 2);
    expect(openTodos(state)).toEqual([2]);
    // One entry is cheaper to apply again than the state is to write.
    expect(ledgers.save).not.toHaveBeenCalled();

    const many = Array.from({ length: LEDGER_STORE_AFTER }, (_, i) => todo(3 + i));
    repository.outline.mockResolvedValueOnce(many);
    await service.ledgerState('sid');
    expect(ledgers.save).toHaveBeenCalledWith('sid', expect.objectContaining({ lastSequence: 2 + LEDGER_STORE_AFTER }));
  });

  it('rebuilds from every entry when no state is stored, or one of another version', async () => {
    const { service, repository, ledgers } = setup();
    ledgers.find.mockResolvedValueOnce({ throughSequence: 2, state: { version: 0 } });
    repository.outline.mockResolvedValueOnce([todo(1), todo(2)]);
    expect(openTodos(await service.ledgerState('sid'))).toEqual([1, 2]);
    expect(repository.outline).toHaveBeenCalledWith('sid', 0);
  });

  it('writes nothing when no entry came since the stored state', async () => {
    const { service, ledgers } = setup();
    ledgers.find.mockResolvedValueOnce({ throughSequence: 1, state: encodeLedgerState(reduceLedger([todo(1)])) });
    expect(openTodos(await service.ledgerState('sid'))).toEqual([1]);
    expect(ledgers.save).not.toHaveBeenCalled();
  });

  it('brings the stored state up to date after every checkpoint-th append', async () => {
    const { service, repository, ledgers } = setup();
    repository.appendUnlessDuplicate.mockResolvedValueOnce({ entryId: 'e', sessionId: 'sid', sequence: 127, reactivated: false });
    await service.append('ns', { sessionKey: 'k', type: 'note', content: 'x' });
    expect(ledgers.find).not.toHaveBeenCalled();
    repository.appendUnlessDuplicate.mockResolvedValueOnce({ entryId: 'e', sessionId: 'sid', sequence: 128, reactivated: false });
    await service.append('ns', { sessionKey: 'k', type: 'note', content: 'x' });
    expect(ledgers.find).toHaveBeenCalledWith('sid');
  });
});

describe('ContextService.page', () => {
  it('asks for one more row than the page to know whether more follow', async () => {
    const { service, repository } = setup();
    repository.listAfter.mockResolvedValueOnce([entry({ sequence: 3 }), entry({ sequence: 4 }), entry({ sequence: 5 })]);
    const page = await service.page('ns', { sessionKey: 'k', afterSequence: 2, limit: 2 });
    expect(repository.listAfter).toHaveBeenCalledWith('sid', 2, 3, undefined, 4 * 1024 * 1024);
    expect(page.entries.map((e) => e.sequence)).toEqual([3, 4]);
    expect(page.nextAfterSequence).toBe(4);
  });

  it('ends a page early at BATON_MAX_PAGE_BYTES, content plus metadata, and points at where it stopped', async () => {
    const { service, repository } = setup('1024', { BATON_MAX_PAGE_BYTES: '1000' });
    repository.listAfter.mockResolvedValueOnce([400, 400, 400, 400].map((size, i) => entry({ sequence: i + 1, content: 'x'.repeat(size), metadata: i === 1 ? { note: 'y'.repeat(150) } : {} })));
    const page = await service.page('ns', { sessionKey: 'k', limit: 10 });
    // 402 + 561 = 963 bytes fit; a third entry would make 1365.
    expect(page.entries.map((e) => e.sequence)).toEqual([1, 2]);
    expect(page.nextAfterSequence).toBe(2);
  });

  it('returns one entry larger than BATON_MAX_PAGE_BYTES on its own, so paging still moves on', async () => {
    const { service, repository } = setup('1024', { BATON_MAX_PAGE_BYTES: '100' });
    repository.listAfter.mockResolvedValueOnce([entry({ sequence: 7, content: 'x'.repeat(500) }), entry({ sequence: 8 })]);
    const page = await service.page('ns', { sessionKey: 'k', afterSequence: 6 });
    expect(page.entries.map((e) => e.sequence)).toEqual([7]);
    expect(page.nextAfterSequence).toBe(7);
  });

  it('says there is no more when the last page fits', async () => {
    const { service, repository } = setup('1024', { BATON_MAX_PAGE_BYTES: '1000' });
    repository.listAfter.mockResolvedValueOnce([entry({ sequence: 1 }), entry({ sequence: 2 })]);
    expect((await service.page('ns', { sessionKey: 'k', limit: 5 })).nextAfterSequence).toBeNull();
  });
});
