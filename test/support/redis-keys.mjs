import { Redis } from 'ioredis';

// Deletes every key under a prefix of one's own (a test run's, a benchmark
// run's), so a shared Redis keeps nothing of the run: queues with delayed
// jobs, cache entries, ...
export async function dropRedisKeys(url, prefix) {
  if (!prefix) return;
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
