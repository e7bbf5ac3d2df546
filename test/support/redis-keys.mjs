import { Redis } from 'ioredis';

// Deletes every key matching `${prefix}*` on a shared Redis (a test run's,
// a benchmark run's, one test's own prefix) and says how many went: the
// server is shared, so FLUSHALL is never an option. Plain JavaScript so the
// global teardown can use it too.
export async function dropRedisKeys(url, prefix) {
  if (!prefix) return 0;
  const redis = new Redis(url);
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    return deleted;
  } finally {
    await redis.quit();
  }
}
