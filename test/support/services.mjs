// Where the e2e suite finds PostgreSQL and Redis. With a reachable Docker
// engine it starts throwaway containers (testcontainers); without one it uses
// the services named by BATON_TEST_DATABASE_URL / BATON_TEST_REDIS_URL, by
// default the local ones. Either way each run gets a database of its own.
// Plain JavaScript: jest loads global setup outside its ESM module system.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';

import pg from 'pg';

export function dockerEngineReachable(env = process.env) {
  if (env.BATON_TEST_USE_CONTAINERS === 'false') return false;
  if (env.BATON_TEST_USE_CONTAINERS === 'true') return true;
  if (env.DOCKER_HOST) return true;
  return ['/var/run/docker.sock', `${homedir()}/.docker/run/docker.sock`].some((socket) => existsSync(socket));
}

export async function startServices(log = (line) => process.stderr.write(`${line}\n`)) {
  if (dockerEngineReachable()) {
    try {
      return await startContainers();
    } catch (error) {
      if (process.env.BATON_TEST_USE_CONTAINERS === 'true') throw error;
      log(`testcontainers could not start containers (${error.message}); using the local services instead`);
    }
  }
  return {
    kind: 'local',
    adminDatabaseUrl: process.env.BATON_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.BATON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    stop: async () => undefined,
  };
}

async function startContainers() {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { RedisContainer } = await import('@testcontainers/redis');
  const [postgres, redis] = await Promise.all([new PostgreSqlContainer('postgres:15-alpine').start(), new RedisContainer('redis:7-alpine').start()]);
  return {
    kind: 'containers',
    adminDatabaseUrl: postgres.getConnectionUri(),
    redisUrl: redis.getConnectionUrl(),
    stop: async () => {
      await Promise.all([postgres.stop(), redis.stop()]);
    },
  };
}

export function uniqueName(prefix) {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export function databaseUrlFor(adminUrl, database) {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin(adminUrl, work) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(adminUrl, database) {
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${database}"`));
  return databaseUrlFor(adminUrl, database);
}

export async function dropDatabase(adminUrl, database) {
  await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}
