import { LRUCache } from 'lru-cache';
import { RateLimiterCompatibleAbstract, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

// At most this share of a bucket's points, and at most MAX_LEASE of them, is
// taken from the shared store in one trip.
const LEASE_SHARE = 0.01;
const MAX_LEASE = 100;
// Credentials with points in hand, per bucket; the least recently used go
// first. Expiry is checked on use (no timer per entry).
const MAX_LEASES = 10_000;

interface Lease {
  remaining: number;
  // The end of the store's window the points belong to.
  windowEndsAt: number;
}

// A bucket in the shared store (Redis or PostgreSQL, fixed windows) taken in
// small leases: one trip takes up to 1% of the bucket's points (at most 100),
// this call spends one and the same credential's next calls in this process
// spend the rest until the window ends. A busy credential then costs a trip
// every few calls instead of every call. The count stays exact: a point is
// spent once, by the process that took it; what changes is who may spend
// it, so in a window another replica can be refused up to (lease - 1) calls
// early while this one still holds points. Buckets under 200 points take one
// point per trip, exactly as without leases.
export class LeasedLimiter extends RateLimiterCompatibleAbstract {
  private readonly lease: number;
  private readonly leases = new LRUCache<string, Lease>({ max: MAX_LEASES });

  constructor(
    private readonly store: RateLimiterAbstract,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.lease = Math.min(MAX_LEASE, Math.max(1, Math.floor(store.points * LEASE_SHARE)));
  }

  get points(): number {
    return this.store.points;
  }

  // Resolves with the store's last answer, rejects with a RateLimiterRes
  // when no point is left in the window (as the store's limiters do).
  override async consume(key: string | number, points = 1): Promise<RateLimiterRes> {
    const id = String(key);
    if (points !== 1) return this.store.consume(id, points);
    const held = this.leases.get(id);
    const now = this.now();
    if (held && held.remaining > 0 && held.windowEndsAt > now) {
      held.remaining--;
      return new RateLimiterRes(held.remaining, held.windowEndsAt - now, 0, false);
    }
    const answer = await this.takeLease(id);
    // The store counted the whole lease; only what was left before it is ours.
    const granted = Math.min(this.lease, Math.max(0, this.store.points - (answer.consumedPoints - this.lease)));
    if (granted === 0) throw answer;
    const answeredAt = this.now();
    const windowEndsAt = answeredAt + answer.msBeforeNext;
    // Points a concurrent trip brought meanwhile belong to this same window.
    const current = this.leases.get(id);
    const kept = current && current.windowEndsAt > answeredAt ? current.remaining : 0;
    if (granted > 1 || kept > 0) this.leases.set(id, { remaining: kept + granted - 1, windowEndsAt });
    return answer;
  }

  // The store's answer, whether it granted the lease or not.
  private async takeLease(id: string): Promise<RateLimiterRes> {
    try {
      return await this.store.consume(id, this.lease);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection;
      throw rejection;
    }
  }

  override get(key: string | number): Promise<RateLimiterRes | null> {
    return this.store.get(key);
  }
}
