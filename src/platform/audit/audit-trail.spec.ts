import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';

import { runWithAccess } from 'src/platform/access/access-context.js';
import { localPrincipal } from 'src/platform/access/principal.js';
import { AuditTrail } from 'src/platform/audit/audit-trail.js';
import type { AuditTrailRepository } from 'src/platform/audit/audit-trail.repository.js';
import type { Clock } from 'src/platform/clock/clock.js';

const NOW = new Date('2026-12-02T10:00:00Z');

function setup() {
  const rows = { append: jest.fn<AuditTrailRepository['append']>().mockResolvedValue() };
  const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  const trail = new AuditTrail(rows as unknown as AuditTrailRepository, { now: () => NOW } as Clock);
  return { trail, rows, log, error };
}

afterEach(() => jest.restoreAllMocks());

describe('AuditTrail.record', () => {
  it('stores and logs the event with who and where from the request in progress', async () => {
    const { trail, rows, log } = setup();
    await runWithAccess({ principal: localPrincipal('team-a'), source: 'stdio' }, () => trail.record({ action: 'handoff.accepted', outcome: 'success', target: 'h-1', agentId: 'codex@ci' }));
    const row = { at: NOW, namespace: 'team-a', action: 'handoff.accepted', outcome: 'success', credentialId: 'local', agentId: 'codex@ci', target: 'h-1', source: 'stdio', detail: null };
    expect(rows.append.mock.calls).toEqual([[row]]);
    expect(log).toHaveBeenCalledWith({ audit: 'handoff.accepted', outcome: 'success', namespace: 'team-a', credentialId: 'local', agentId: 'codex@ci', target: 'h-1', source: 'stdio' }, 'audit');
  });

  it('takes who and where from the record outside a request', async () => {
    const { trail, rows } = setup();
    await trail.record({ action: 'handoff.expired', outcome: 'success', namespace: 'team-a', credentialId: 'system', source: 'job' });
    expect(rows.append.mock.calls[0]?.[0]).toMatchObject({ namespace: 'team-a', credentialId: 'system', source: 'job', agentId: null });
  });

  it('never fails the audited action when the row cannot be stored, and says so loudly', async () => {
    const { trail, rows, log, error } = setup();
    rows.append.mockRejectedValue(new Error('connection refused'));
    await expect(trail.record({ action: 'legal_hold.set', outcome: 'success', namespace: 'team-a', target: 'k1' })).resolves.toBeUndefined();
    expect(log).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ audit: 'legal_hold.set', target: 'k1', err: 'connection refused' }), expect.stringContaining('AUDIT EVENT NOT STORED'));
  });

  it('gives up waiting for a database that does not answer', async () => {
    jest.useFakeTimers();
    try {
      const { trail, rows, error } = setup();
      rows.append.mockReturnValue(new Promise(() => undefined));
      const recorded = trail.record({ action: 'auth.failed', outcome: 'failed' });
      await jest.advanceTimersByTimeAsync(2_000);
      await expect(recorded).resolves.toBeUndefined();
      expect(error).toHaveBeenCalledWith(expect.objectContaining({ err: 'no answer within 2000 ms' }), expect.stringContaining('AUDIT EVENT NOT STORED'));
    } finally {
      jest.useRealTimers();
    }
  });

  it('cuts values to their column widths and replaces an oversized detail with a note', async () => {
    const { trail, rows } = setup();
    await trail.record({ action: 'a'.repeat(100), outcome: 'failed', target: 't'.repeat(600), detail: { blob: 'x'.repeat(5000) } });
    const row = rows.append.mock.calls[0]?.[0];
    expect(row?.action).toHaveLength(64);
    expect(row?.target).toHaveLength(512);
    expect(row?.detail).toEqual({ omitted: expect.stringContaining('over the 4096-character limit') });
  });
});
