import { Redis } from 'ioredis';

// A Redis key prefix of the test's own.
export function ownRedisPrefix(label: string): string {
  return `${process.env.BATON_E2E_REDIS_PREFIX}-${label}-${Math.random().toString(36).slice(2, 8)}`;
}

// What a Redis flush does to Baton, limited to one prefix: the Redis
// server is shared, so FLUSHALL is never an option.
export async function deleteKeysUnder(prefix: string): Promise<number> {
  const redis = new Redis(process.env.BATON_E2E_REDIS_URL as string);
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
