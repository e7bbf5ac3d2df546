import { dropRedisKeys } from 'test/support/redis-keys.mjs';

// A Redis key prefix of the test's own.
export function ownRedisPrefix(label: string): string {
  return `${process.env.BATON_E2E_REDIS_PREFIX}-${label}-${Math.random().toString(36).slice(2, 8)}`;
}

// What a Redis flush does to Baton, limited to one prefix's keys.
export function deleteKeysUnder(prefix: string): Promise<number> {
  return dropRedisKeys(process.env.BATON_E2E_REDIS_URL as string, `${prefix}:`);
}
