import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { createDatabase, startServices, uniqueName } from './services.mjs';

// One fresh, migrated database per test run; its URL reaches the test
// workers through the environment. Migrations run through the built
// `baton migrate` code, the same path operators use.
export default async function globalSetup() {
  // Both e2e projects (Redis and PostgreSQL backends) share one run's services.
  if (globalThis.__batonServices) return;
  const migrator = resolve('dist/platform/database/migrator.js');
  if (!existsSync(migrator)) throw new Error('dist/ is missing: run `npm run build` first (npm test does it for you)');
  const { runMigrations } = await import(pathToFileURL(migrator).href);
  const services = await startServices();
  const database = uniqueName('baton_test');
  const databaseUrl = await createDatabase(services.adminDatabaseUrl, database);
  await runMigrations(databaseUrl, () => undefined);
  globalThis.__batonServices = services;
  globalThis.__batonDatabase = database;
  process.env.BATON_E2E_DATABASE_URL = databaseUrl;
  process.env.BATON_E2E_ADMIN_DATABASE_URL = services.adminDatabaseUrl;
  process.env.BATON_E2E_REDIS_URL = services.redisUrl;
  process.env.BATON_E2E_REDIS_PREFIX = uniqueName('baton-test');
}
