import { jest } from '@jest/globals';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

import { LeasedLimiter } from 'src/platform/limits/leased-limiter.js';

// A shared store (in memory here) that counts its trips, and one LeasedLimiter
// per process on top of it.
function sharedStore(points: number, duration = 60) {
  const store = new RateLimiterMemory({ keyPrefix: `spec-${Math.random()}`, points, duration });
  const trips = jest.spyOn(store, 'consume');
  return { store, trips };
}

async function passes(limiter: LeasedLimiter, key: string): Promise<boolean> {
  try {
    await limiter.consume(key);
    return true;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return false;
    throw rejection;
  }
}

async function countPasses(limiter: LeasedLimiter, key: string, calls: number): Promise<number> {
  let passed = 0;
  for (let i = 0; i < calls; i++) if (await passes(limiter, key)) passed++;
  return passed;
}

describe('LeasedLimiter', () => {
  it('lets exactly the bucket through in one process, with one trip to the store per ten calls', async () => {
    const { store, trips } = sharedStore(1000);
    const limiter = new LeasedLimiter(store);
    expect(await countPasses(limiter, 'cred', 1100)).toBe(1000);
    // 100 leases of 10, then one refused trip per refused call.
    expect(trips.mock.calls.length).toBe(100 + 100);
  });

  it('takes at most 100 points per trip from a large bucket', async () => {
    const { store, trips } = sharedStore(1_000_000);
    const limiter = new LeasedLimiter(store);
    expect(await countPasses(limiter, 'cred', 1000)).toBe(1000);
    expect(trips.mock.calls.map(([, points]) => points)).toEqual(Array(10).fill(100));
  });

  it('takes one point per trip from a bucket under 200 points, so small limits stay exact', async () => {
    const { store, trips } = sharedStore(150);
    const limiter = new LeasedLimiter(store);
    expect(await countPasses(limiter, 'cred', 160)).toBe(150);
    expect(trips.mock.calls.every(([, points]) => points === 1)).toBe(true);
  });

  it('spends every point once across processes sharing the store, when the bucket is not a multiple of the lease', async () => {
    const { store } = sharedStore(1005);
    const replicas = [new LeasedLimiter(store), new LeasedLimiter(store), new LeasedLimiter(store)];
    let passed = 0;
    for (let i = 0; i < 1200; i++) if (await passes(replicas[i % 3] as LeasedLimiter, 'cred')) passed++;
    expect(passed).toBe(1005);
  });

  it('refuses another process at most lease - 1 calls early while one holds points', async () => {
    const { store } = sharedStore(1000);
    const [idle, busy] = [new LeasedLimiter(store), new LeasedLimiter(store)];
    expect(await passes(idle, 'cred')).toBe(true);
    expect(await countPasses(busy, 'cred', 1000)).toBe(1000 - 10);
    // The held points are still the idle process's to spend.
    expect(await countPasses(idle, 'cred', 20)).toBe(9);
  });

  it('keeps credentials apart', async () => {
    const { store } = sharedStore(200);
    const limiter = new LeasedLimiter(store);
    expect(await countPasses(limiter, 'a', 250)).toBe(200);
    expect(await countPasses(limiter, 'b', 5)).toBe(5);
  });

  it('drops held points when the window ends, and takes a fresh lease in the next one', async () => {
    const { store } = sharedStore(1000, 1);
    let clock = 0;
    const limiter = new LeasedLimiter(store, () => clock);
    expect(await passes(limiter, 'cred')).toBe(true);
    clock = 1_500;
    // The store's own window has ended too: a new one starts with a new lease.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const answer = await limiter.consume('cred');
    expect(answer.consumedPoints).toBe(10);
  });

  it('rejects with the store answer saying when the next point is due', async () => {
    const { store } = sharedStore(200, 30);
    const limiter = new LeasedLimiter(store);
    await countPasses(limiter, 'cred', 200);
    const refusal = await limiter.consume('cred').catch((rejection: unknown) => rejection);
    expect(refusal).toBeInstanceOf(RateLimiterRes);
    expect((refusal as RateLimiterRes).msBeforeNext).toBeGreaterThan(25_000);
  });

  it('passes a multi-point consume straight to the store', async () => {
    const { store, trips } = sharedStore(1000);
    await new LeasedLimiter(store).consume('cred', 5);
    expect(trips).toHaveBeenCalledWith('cred', 5);
  });
});
