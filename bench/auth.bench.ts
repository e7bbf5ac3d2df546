import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { BatonProcess, migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';
import { CpuMeter } from 'bench/support/cpu-meter.js';
import { cpuMicrosPerCall } from 'bench/support/component-cost.js';
import { closedLoop } from 'bench/support/load-generator.js';
import { loadConfig } from 'src/config/config.loader.js';
import { JwtTokenVerifier } from 'src/http/auth/jwt-token.verifier.js';
import { VerifiedTokenCache } from 'src/http/auth/verified-token.cache.js';
import type { Principal } from 'src/platform/access/principal.js';
import { expandScopes } from 'src/platform/access/scopes.js';
import type { RefusalAudit } from 'src/platform/limits/refusal-audit.js';
import { RateLimiterService } from 'src/platform/limits/rate-limiter.service.js';
import { RedisService } from 'src/platform/redis/redis.service.js';
import { startLocalIssuer, type LocalIssuer } from 'test/support/local-issuer.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

// `npm run bench:auth`: update_context at concurrency 8 against `baton
// serve` with authentication and rate limiting off (the local user), and on
// (OAuth access tokens of a local issuer, one credential per client, JWKS
// cached; rate limits, in-flight and session caps checked on every request
// but set high enough never to refuse one), in rounds of the same run whose
// order alternates. Telemetry is off in both, so the difference is the
// access checks alone. `--profile` writes V8 CPU profiles of each Baton
// process to bench/.cache/auth-profiles. Then the CPU time of each added
// step, measured in this process: a token's signature check, a remembered
// token, a rate limit check on Redis and on PostgreSQL. A CLI: output goes
// to stdout.
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    profile: { type: 'boolean', default: false },
  },
});
const DURATION_MS = Number(values.duration) * 1000;
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const ADMIN = process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
// Tokens name this as their audience; Baton checks it against BATON_AUTH_RESOURCE only.
const RESOURCE = 'http://baton.bench/mcp';
const PROFILES = 'bench/.cache/auth-profiles';

type Mode = 'off' | 'on';
const MODES: readonly Mode[] = ['off', 'on'];

interface Round {
  mode: Mode;
  throughput: number;
  p50: number;
  p99: number;
  errors: number;
  batonCpuMsPerOp: number | null;
  othersBusy: number | null;
}

function settingsOf(mode: Mode, issuer: LocalIssuer): Record<string, string> {
  if (mode === 'off') return {};
  return {
    BATON_AUTH_ISSUER: issuer.url,
    BATON_AUTH_RESOURCE: RESOURCE,
    BATON_RATE_LIMITS: 'agent=1000000/60+1000',
    BATON_HTTP_RATE_LIMITS: 'agent=1000000/60+1000',
  };
}

async function measure(mode: Mode, env: Record<string, string>, issuer: LocalIssuer): Promise<Round> {
  mkdirSync(PROFILES, { recursive: true });
  const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`, `--cpu-prof-name=auth-${mode}-${Date.now()}.cpuprofile`] : [];
  const baton = await BatonProcess.start({ ...env, ...settingsOf(mode, issuer) }, `bench/.cache/auth-${mode}.log`, nodeArgs);
  const clients: Client[] = [];
  try {
    const keys: string[] = [];
    for (let w = 0; w < CONCURRENCY; w++) {
      const agentId = `bench-agent-${w}`;
      const headers: Record<string, string> = mode === 'on' ? { authorization: `Bearer ${await issuer.token({ audience: RESOURCE, subject: agentId, scope: 'agent' })}` } : {};
      const client = await connectMcpClient(new StreamableHTTPClientTransport(baton.url, { requestInit: { headers } }), `bench-${w}`);
      clients.push(client);
      const key = `auth-${mode}-${w}-${Date.now().toString(36)}`;
      const registered = await client.callTool({ name: 'register_session', arguments: { sessionKey: key, agentId } });
      if (registered.isError) throw new Error(`register_session failed: ${JSON.stringify(registered.content)}`);
      keys.push(key);
    }
    const content = 'x'.repeat(1024);
    let errors = 0;
    const operation = async (worker: number): Promise<boolean> => {
      const result = await (clients[worker] as Client).callTool({ name: 'update_context', arguments: { sessionKey: keys[worker], type: 'note', content } });
      if (result.isError === true) errors++;
      return result.isError !== true;
    };
    await closedLoop(operation, CONCURRENCY, 2_000);
    errors = 0;
    const meter = new CpuMeter(process.pid, () => baton.pid);
    const before = await meter.sample();
    const result = await closedLoop(operation, CONCURRENCY, DURATION_MS);
    const cpu = meter.between(before, await meter.sample(), result.ops);
    return { mode, throughput: result.throughput, p50: result.latencyMs.p50, p99: result.latencyMs.p99, errors, batonCpuMsPerOp: cpu?.msPerOp.baton ?? null, othersBusy: cpu?.othersBusy ?? null };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await baton.stop();
  }
}

interface ComponentCosts {
  verifyMicros: number;
  rememberedMicros: number;
  redisLimitMicros: number;
  postgresLimitMicros: number;
}

async function componentCosts(env: Record<string, string>, issuer: LocalIssuer): Promise<ComponentCosts> {
  const settings = { namespaceClaim: 'baton_namespace', agentsClaim: 'baton_agents', defaultNamespace: 'default' };
  const token = await issuer.token({ audience: RESOURCE, subject: 'bench-agent', scope: 'agent' });
  const verifier = new JwtTokenVerifier({ issuer: issuer.url, resource: RESOURCE, ...settings });
  const remembered = new VerifiedTokenCache(verifier);
  const agent: Principal = { kind: 'oauth', credentialId: 'oauth:bench-agent', namespace: 'default', agents: ['bench-agent'], scopes: expandScopes(['agent']) };
  const limitCost = async (withRedis: boolean): Promise<number> => {
    const config = loadConfig({ ...env, ...(withRedis ? {} : { REDIS_URL: '' }), BATON_RATE_LIMITS: 'agent=100000000/60' }, {});
    const redis = new RedisService(config);
    const limits = new RateLimiterService(redis, { refused: () => undefined } as unknown as RefusalAudit, config);
    try {
      if (withRedis) await redis.connected();
      return await cpuMicrosPerCall(() => limits.takeToolCall(agent, 'update_context'), withRedis ? 20_000 : 5_000);
    } finally {
      await limits.onModuleDestroy();
      await redis.onModuleDestroy();
    }
  };
  return {
    verifyMicros: await cpuMicrosPerCall(() => verifier.verifyAccessToken(token), 5_000),
    rememberedMicros: await cpuMicrosPerCall(() => remembered.verifyAccessToken(token), 50_000),
    redisLimitMicros: await limitCost(true),
    postgresLimitMicros: await limitCost(false),
  };
}

const { name, url } = benchDatabaseUrl(ADMIN);
const env = { DATABASE_URL: url, REDIS_URL: REDIS, BATON_REDIS_PREFIX: `bench-auth-${Date.now().toString(36)}`, BATON_LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'true' };
await migrate(env);
const issuer = await startLocalIssuer();
const rounds: Round[] = [];
let costs: ComponentCosts;
try {
  for (let r = 0; r < ROUNDS; r++) for (const mode of r % 2 === 0 ? MODES : [...MODES].reverse()) rounds.push(await measure(mode, env, issuer));
  costs = await componentCosts(env, issuer);
} finally {
  await issuer.close();
  await dropDatabase(ADMIN, name);
}

const mean = (mode: Mode, pick: (r: Round) => number | null): number => {
  const picked = rounds.filter((r) => r.mode === mode).map(pick).filter((v): v is number => v !== null);
  return picked.reduce((a, b) => a + b, 0) / picked.length;
};
const fmt = (v: number | null, digits = 1): string => (v === null || Number.isNaN(v) ? 'n/a' : v.toFixed(digits));
process.stdout.write(`update_context, concurrency ${CONCURRENCY}, ${ROUNDS} rounds of ${DURATION_MS / 1000} s per mode; JWKS fetches by all Baton processes: ${issuer.jwksFetches()}\n\n`);
process.stdout.write('| round | auth and limits | ops/s | p50 ms | p99 ms | failed calls | Baton CPU ms/op | other load on the machine |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n');
rounds.forEach((r, i) => process.stdout.write(`| ${Math.floor(i / MODES.length) + 1} | ${r.mode} | ${fmt(r.throughput)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${r.errors} | ${fmt(r.batonCpuMsPerOp, 3)} | ${r.othersBusy === null ? 'n/a' : `${Math.round(r.othersBusy * 100)}%`} |\n`));
const opsChange = (mean('on', (r) => r.throughput) / mean('off', (r) => r.throughput) - 1) * 100;
const cpuChange = (mean('on', (r) => r.batonCpuMsPerOp) / mean('off', (r) => r.batonCpuMsPerOp) - 1) * 100;
process.stdout.write(`on vs off: ${fmt(opsChange)}% operations per second, ${fmt(cpuChange)}% Baton CPU per call (target: at most +5% CPU per call).\n`);
process.stdout.write(
  `\nCPU per step, in this process: signature check of an access token ${fmt(costs.verifyMicros)} µs; a remembered token ${fmt(costs.rememberedMicros, 2)} µs; ` +
    `one rate limit check ${fmt(costs.redisLimitMicros)} µs on Redis, ${fmt(costs.postgresLimitMicros)} µs on PostgreSQL (the Baton side only; a tool call makes one, HTTP requests are counted in memory).\n`,
);
