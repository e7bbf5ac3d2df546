import { loadConfig } from 'src/config/config.loader.js';
import { CacheService } from 'src/platform/cache/cache.service.js';
import type { RedisService } from 'src/platform/redis/redis.service.js';

// Without Redis the cache lives in this process: same read-through contract.
describe('CacheService without Redis', () => {
  const config = loadConfig({ DATABASE_URL: 'postgresql://127.0.0.1/baton' }, {});
  const redis = { enabled: false, key: (...parts: string[]) => ['baton', ...parts].join(':'), connect: () => { throw new Error('no Redis here'); } } as unknown as RedisService;

  it('serves the second read from memory and keeps versions apart', async () => {
    const cache = new CacheService(redis, config);
    await cache.onModuleInit();
    let computed = 0;
    const compute = () => Promise.resolve({ n: ++computed });
    expect(await cache.getOrCompute('brief', 's1@3', 60, compute)).toEqual({ value: { n: 1 }, hit: false });
    expect(await cache.getOrCompute('brief', 's1@3', 60, compute)).toEqual({ value: { n: 1 }, hit: true });
    expect(await cache.getOrCompute('brief', 's1@4', 60, compute)).toEqual({ value: { n: 2 }, hit: false });
    expect(cache.stats()).toMatchObject({ available: true, caches: { brief: { hits: 1, misses: 2, errors: 0 } } });
  });

  it('hands out copies, so a caller changing a value cannot change the cached one', async () => {
    const cache = new CacheService(redis, config);
    const first = await cache.getOrCompute('summary', 'k', 60, () => Promise.resolve({ items: [1] }));
    first.value.items.push(2);
    expect((await cache.getOrCompute('summary', 'k', 60, () => Promise.resolve({ items: [] as number[] }))).value).toEqual({ items: [1] });
  });

  it('keeps each namespace\'s values and counts apart', async () => {
    const cache = new CacheService(redis, config);
    await cache.onModuleInit();
    expect(await cache.getOrCompute('brief', 'same-key', 60, () => Promise.resolve('of a'), 'team-a')).toEqual({ value: 'of a', hit: false });
    expect(await cache.getOrCompute('brief', 'same-key', 60, () => Promise.resolve('of b'), 'team-b')).toEqual({ value: 'of b', hit: false });
    expect(await cache.getOrCompute('brief', 'same-key', 60, () => Promise.resolve('again'), 'team-a')).toEqual({ value: 'of a', hit: true });
    expect(cache.stats('team-a').caches).toEqual({ brief: { hits: 1, misses: 1, errors: 0, hitRate: 0.5 } });
    expect(cache.stats('team-b').caches).toEqual({ brief: { hits: 0, misses: 1, errors: 0, hitRate: 0 } });
    expect(cache.stats('team-c').caches).toEqual({});
    expect(cache.stats().caches).toEqual({ brief: { hits: 1, misses: 2, errors: 0, hitRate: 1 / 3 } });
  });
});
