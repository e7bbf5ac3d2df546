import { dropRedisKeys } from './redis-keys.mjs';
import { dropDatabase } from './services.mjs';

export default async function globalTeardown() {
  const services = globalThis.__batonServices;
  if (!services) return;
  if (globalThis.__batonDatabase && process.env.BATON_KEEP_TEST_DATABASE !== 'true') await dropDatabase(services.adminDatabaseUrl, globalThis.__batonDatabase);
  await dropRedisKeys(services.redisUrl, process.env.BATON_E2E_REDIS_PREFIX);
  await services.stop();
  globalThis.__batonServices = undefined;
}
