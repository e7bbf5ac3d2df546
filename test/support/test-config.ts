import { resolve } from 'node:path';

import { type ConfigError, loadConfig } from 'src/config/config.loader.js';
import type { BatonConfig } from 'src/config/config.schema.js';

// Settings of the e2e run (set by global-setup), plus any overrides. Apart
// from baton-app.ts so that tests booting a few platform modules do not
// import every feature (and the jobs they declare).
// The e2e-postgres project runs shared specs again without REDIS_URL: jobs on
// BullMQ's PostgreSQL backend, notifications through LISTEN/NOTIFY, the cache
// in-process.
export function testSettings(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: required('BATON_E2E_DATABASE_URL'),
    ...(process.env.BATON_E2E_BACKEND === 'postgres' ? {} : { REDIS_URL: required('BATON_E2E_REDIS_URL') }),
    BATON_REDIS_PREFIX: required('BATON_E2E_REDIS_PREFIX'),
    BATON_LOG_LEVEL: process.env.BATON_TEST_LOG_LEVEL ?? 'warn',
    BATON_HTTP_PORT: '1',
    ...overrides,
  };
}

// Environment of a Baton child process the tests spawn: its settings, and V8
// coverage collection when the run measures coverage (see package.json).
export function childEnv(settings: Record<string, string> = testSettings()): Record<string, string> {
  const coverage = process.env.BATON_TEST_CHILD_COVERAGE;
  return { PATH: process.env.PATH ?? '', ...(coverage ? { NODE_V8_COVERAGE: resolve(coverage) } : {}), ...settings };
}

export function testConfig(overrides: Record<string, string> = {}): BatonConfig {
  return loadConfig(testSettings(overrides), {});
}

// The message of the ConfigError loadConfig throws for env (unit specs of settings).
export function configProblems(env: Record<string, string>): string {
  try {
    loadConfig({}, env);
  } catch (error) {
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the e2e suite through jest (its global setup prepares the services)`);
  return value;
}
