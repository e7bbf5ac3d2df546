import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis, type RedisOptions } from 'ioredis';

import { ConfigModule } from 'src/config/config.module.js';
import { CacheModule } from 'src/platform/cache/cache.module.js';
import { CacheService } from 'src/platform/cache/cache.service.js';
import { RedisModule } from 'src/platform/redis/redis.module.js';
import type { RedisService } from 'src/platform/redis/redis.service.js';
import { testConfig } from 'test/support/test-config.js';

async function boot(overrides: Record<string, string>): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(testConfig(overrides)), RedisModule, CacheModule] }).compile();
  const app = moduleRef.createNestApplication();
  await app.init();
  return app;
}

describe('CacheService against Redis', () => {
  const prefix = `${process.env.BATON_E2E_REDIS_PREFIX}-cache`;
  let app: INestApplication;
  let redis: Redis;

  beforeAll(async () => {
    app = await boot({ BATON_REDIS_PREFIX: prefix });
    redis = new Redis(process.env.BATON_E2E_REDIS_URL as string);
  });

  afterAll(async () => {
    await redis.quit();
    await app.close();
  });

  it('computes once, then serves the stored value with its TTL, counting hits and misses', async () => {
    const cache = app.get(CacheService);
    let computed = 0;
    const compute = () => Promise.resolve({ n: ++computed });
    expect(await cache.getOrCompute('brief', 'k1', 60, compute)).toEqual({ value: { n: 1 }, hit: false });
    expect(await cache.getOrCompute('brief', 'k1', 60, compute)).toEqual({ value: { n: 1 }, hit: true });
    expect(computed).toBe(1);
    const ttl = await redis.ttl(`${prefix}:cache:brief:k1`);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(cache.stats().caches.brief).toEqual({ hits: 1, misses: 1, errors: 0, hitRate: 0.5 });
  });

  it('recomputes when the stored value is not JSON', async () => {
    const cache = app.get(CacheService);
    await redis.set(`${prefix}:cache:brief:broken`, '{not json');
    expect(await cache.getOrCompute('brief', 'broken', 60, () => Promise.resolve('fresh'))).toEqual({ value: 'fresh', hit: false });
    expect(await redis.get(`${prefix}:cache:brief:broken`)).toBe('"fresh"');
  });
});

it('computes every value and never fails when Redis does not answer', async () => {
  // Nothing listens on port 1: every cache command fails at once. The
  // connection gives up instead of retrying, so the test leaves nothing behind.
  const config = testConfig({ REDIS_URL: 'redis://127.0.0.1:1', BATON_LOG_LEVEL: 'silent' });
  const connections: Redis[] = [];
  const redisService = {
    enabled: true,
    key: (...parts: string[]) => ['dead', ...parts].join(':'),
    connect: (_role: string, options: RedisOptions) => {
      const connection = new Redis(config.redis.url as string, { ...options, retryStrategy: () => null });
      connection.on('error', () => undefined);
      connections.push(connection);
      return connection;
    },
  } as unknown as RedisService;
  const cache = new CacheService(redisService, config);
  try {
    await cache.onModuleInit();
    let computed = 0;
    for (let i = 0; i < 3; i++) expect(await cache.getOrCompute('summary', 'k', 60, () => Promise.resolve(++computed))).toEqual({ value: i + 1, hit: false });
    expect(cache.stats()).toMatchObject({ available: false, caches: { summary: { hits: 0, misses: 0, errors: 3 } } });
  } finally {
    for (const connection of connections) connection.disconnect();
  }
});
