import type { LifecyclePolicy } from 'src/config/lifecycle-policy.js';
import type { LifecycleState } from 'src/features/lifecycle/lifecycle.types.js';
import { nextTransition } from 'src/features/lifecycle/session-timeline.js';

const policy: LifecyclePolicy = { dormantAfterSeconds: 60, ttlSeconds: 3600, maxLifetimeSeconds: 7200, archiveAfterSeconds: 600, retentionSeconds: 86_400 };
const t0 = new Date('2026-11-22T10:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

function state(overrides: Partial<LifecycleState>): LifecycleState {
  return { id: 's1', namespace: 'default', sessionKey: 'k', status: 'active', tags: [], lastActivityAt: t0, expiresAt: at(3600), archivedAt: null, legalHold: false, ...overrides };
}

describe('nextTransition', () => {
  it('makes an active session dormant after the idle time', () => {
    expect(nextTransition(state({}), policy, t0)).toEqual({ kind: 'dormant', at: at(60) });
  });

  it('expires an active session first when expiresAt comes before the idle time', () => {
    expect(nextTransition(state({ expiresAt: at(30) }), policy, t0)).toEqual({ kind: 'expire', at: at(30) });
  });

  it('expires rather than idles a session that is past both', () => {
    expect(nextTransition(state({ expiresAt: at(120) }), policy, at(200))).toEqual({ kind: 'expire', at: at(120) });
    expect(nextTransition(state({ expiresAt: at(120) }), policy, at(90))).toEqual({ kind: 'dormant', at: at(60) });
  });

  it('expires a dormant session at expiresAt, and archives an expired one after the archive delay', () => {
    expect(nextTransition(state({ status: 'dormant' }), policy, t0)).toEqual({ kind: 'expire', at: at(3600) });
    expect(nextTransition(state({ status: 'expired' }), policy, t0)).toEqual({ kind: 'archive', at: at(4200) });
  });

  it('purges an archived session after the retention period unless held or kept forever', () => {
    expect(nextTransition(state({ status: 'archived', archivedAt: at(5000) }), policy, t0)).toEqual({ kind: 'purge', at: at(91_400) });
    expect(nextTransition(state({ status: 'archived', archivedAt: at(5000), legalHold: true }), policy, t0)).toBeNull();
    expect(nextTransition(state({ status: 'archived', archivedAt: at(5000) }), { ...policy, retentionSeconds: null }, t0)).toBeNull();
  });

  it('has nothing after purged', () => {
    expect(nextTransition(state({ status: 'purged', archivedAt: t0 }), policy, t0)).toBeNull();
  });
});
