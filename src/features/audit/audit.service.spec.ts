import { jest } from '@jest/globals';

import type { BatonConfig } from 'src/config/config.schema.js';
import { localPrincipal, type Principal } from 'src/platform/access/principal.js';
import { expandScopes } from 'src/platform/access/scopes.js';
import type { Clock } from 'src/platform/clock/clock.js';
import { encodeKeysetCursor } from 'src/platform/pagination/keyset-cursor.js';
import type { AuditRepository } from 'src/features/audit/audit.repository.js';
import { AuditService } from 'src/features/audit/audit.service.js';
import type { AuditEvent } from 'src/features/audit/audit.types.js';

const NOW = new Date('2026-12-02T10:00:00Z');
const ID = '019ad2f0-0000-7000-8000-000000000001';

function event(at: Date, id = ID): AuditEvent {
  return { id, at, namespace: 'team-a', action: 'handoff.accepted', outcome: 'success', credentialId: 'local', agentId: null, target: null, source: null, detail: null };
}

function setup() {
  const repository = { listPage: jest.fn<AuditRepository['listPage']>().mockResolvedValue([]), deleteOlderThan: jest.fn<AuditRepository['deleteOlderThan']>().mockResolvedValue(0) };
  const config = { audit: { retentionDays: 10 }, limits: { defaultPageSize: 100, maxPageSize: 1000 } } as BatonConfig;
  const service = new AuditService(repository as unknown as AuditRepository, { now: () => NOW } as Clock, config);
  return { service, repository };
}

const admin: Principal = { kind: 'oauth', credentialId: 'oauth:root', namespace: 'ops', agents: 'any', scopes: expandScopes(['admin']) };

describe('AuditService.list', () => {
  it('reads the caller\'s namespace, with the filters turned into a keyset query one row past the page', async () => {
    const { service, repository } = setup();
    const after = { at: new Date('2026-12-01T00:00:00.000Z'), id: ID };
    await service.list(localPrincipal('team-a'), { action: 'handoff.*', since: '2026-11-30', cursor: encodeKeysetCursor(after), limit: 5 });
    expect(repository.listPage).toHaveBeenCalledWith({ namespace: 'team-a', action: { prefix: 'handoff.' }, since: new Date('2026-11-30T00:00:00Z'), after }, 6);
  });

  it('lets only admins name a namespace, and reads every one for an admin who names none', async () => {
    const { service, repository } = setup();
    await expect(service.list(localPrincipal('team-a'), { namespace: 'team-b' })).rejects.toMatchObject({ code: 'INSUFFICIENT_SCOPE', details: { requiredScope: 'admin' } });
    await service.list(localPrincipal('team-a'), { namespace: 'team-a' });
    await service.list(admin, {});
    await service.list(admin, { namespace: 'team-b', action: 'legal_hold.set' });
    expect(repository.listPage.mock.calls.map(([filter]) => filter)).toEqual([{ namespace: 'team-a' }, { namespace: 'all' }, { namespace: 'team-b', action: { exact: 'legal_hold.set' } }]);
  });

  it('gives a cursor only when there is a further page', async () => {
    const { service, repository } = setup();
    repository.listPage.mockResolvedValueOnce([event(new Date('2026-12-02T09:00:00Z')), event(new Date('2026-12-02T08:00:00Z'))]).mockResolvedValueOnce([event(NOW)]);
    const page = await service.list(admin, { limit: 1 });
    expect(page.events).toHaveLength(1);
    expect(page.nextCursor).toBe(encodeKeysetCursor({ at: new Date('2026-12-02T09:00:00Z'), id: ID }));
    expect((await service.list(admin, { limit: 1 })).nextCursor).toBeNull();
  });
});

describe('AuditService.purgeExpired', () => {
  it('deletes in batches until a batch comes back short, everything before now minus the retention', async () => {
    const { service, repository } = setup();
    repository.deleteOlderThan.mockResolvedValueOnce(5000).mockResolvedValueOnce(5000).mockResolvedValueOnce(12);
    expect(await service.purgeExpired()).toBe(10_012);
    expect(repository.deleteOlderThan.mock.calls).toEqual(Array(3).fill([new Date('2026-11-22T10:00:00Z'), 5000]));
  });
});
