import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { BatonProcess, migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';

export const BENCH_ADMIN_URL = process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const BENCH_REDIS_URL = process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
// Compiled beside the benchmarks in bench/.cache/build.
const PROBE = resolve(import.meta.dirname, 'loop-probe.js');

// Runs `work` against `baton serve` (built dist/) with bench/support/loop-probe
// loaded, on a fresh migrated database and its own Redis prefix, and removes
// both afterwards. Logs go to bench/.cache/<name>-serve.log.
export async function withProbedBaton<T>(name: string, settings: Record<string, string>, nodeArgs: string[], work: (baton: BatonProcess) => Promise<T>): Promise<T> {
  const database = benchDatabaseUrl(BENCH_ADMIN_URL);
  const prefix = `baton-bench-${randomBytes(4).toString('hex')}`;
  const env = { DATABASE_URL: database.url, REDIS_URL: BENCH_REDIS_URL, BATON_REDIS_PREFIX: prefix, BATON_LOG_LEVEL: 'warn', BATON_WORKERS_IN_SERVE: 'false', ...settings };
  let baton: BatonProcess | undefined;
  try {
    await migrate(env);
    mkdirSync('bench/.cache', { recursive: true });
    baton = await BatonProcess.start(env, `bench/.cache/${name}-serve.log`, nodeArgs, PROBE);
    return await work(baton);
  } finally {
    await baton?.stop();
    await dropDatabase(BENCH_ADMIN_URL, database.name);
    const helper = (await import(pathToFileURL(resolve('test/support/redis-keys.mjs')).href)) as { dropRedisKeys(url: string, prefix: string): Promise<void> };
    await helper.dropRedisKeys(BENCH_REDIS_URL, `${prefix}:`);
  }
}
