import type { LifecyclePolicy } from 'src/config/lifecycle-policy.js';
import type { DueTransition, LifecycleState } from 'src/features/lifecycle/lifecycle.types.js';

// The next transition of a session under its policy, and when it is due;
// null when none will ever come (purged, or archived and kept forever).
// Expiry wins over dormancy when both are due by `now`, so an idle session
// past its expiresAt goes straight to expired.
export function nextTransition(state: LifecycleState, policy: LifecyclePolicy, now: Date): DueTransition | null {
  switch (state.status) {
    case 'active': {
      const dormantAt = plusSeconds(state.lastActivityAt, policy.dormantAfterSeconds);
      const expiresFirst = state.expiresAt.getTime() <= Math.max(dormantAt.getTime(), now.getTime());
      return expiresFirst ? { kind: 'expire', at: state.expiresAt } : { kind: 'dormant', at: dormantAt };
    }
    case 'dormant':
      return { kind: 'expire', at: state.expiresAt };
    case 'expired':
      return { kind: 'archive', at: plusSeconds(state.expiresAt, policy.archiveAfterSeconds) };
    case 'archived':
      if (state.legalHold || policy.retentionSeconds === null || state.archivedAt === null) return null;
      return { kind: 'purge', at: plusSeconds(state.archivedAt, policy.retentionSeconds) };
    case 'purged':
      return null;
  }
}

export function plusSeconds(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * 1000);
}
