import { mkdirSync } from 'node:fs';

import { busyShare, fmt, meanOf, medianRatio, roundOptions, sideBySideRound, type RoundResult } from 'bench/support/append-rounds.js';
import { BatonProcess, migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';
import { cpuMicrosPerCall } from 'bench/support/component-cost.js';
import { loadConfig } from 'src/config/config.loader.js';
import { JwtTokenVerifier } from 'src/http/auth/jwt-token.verifier.js';
import { VerifiedTokenCache } from 'src/http/auth/verified-token.cache.js';
import type { Principal } from 'src/platform/access/principal.js';
import { expandScopes } from 'src/platform/access/scopes.js';
import type { RefusalAudit } from 'src/platform/limits/refusal-audit.js';
import { RateLimiterService } from 'src/platform/limits/rate-limiter.service.js';
import { RedisService } from 'src/platform/redis/redis.service.js';
import { startLocalIssuer, type LocalIssuer } from 'test/support/local-issuer.js';

// `npm run bench:auth`: update_context at concurrency 8 against `baton
// serve` with authentication and rate limiting off (the local user), and on
// (OAuth access tokens of a local issuer, one credential per client, JWKS
// cached; rate limits, in-flight and session caps checked on every request
// but set high enough never to refuse one), and with the tokens but no rate
// limits (`tokens`), so the two costs show apart. In each round the three
// run side by side and take turns under load, slice by slice
// (sideBySideRound); each round starts new processes. Telemetry is off in all, so the difference is the
// access checks alone. `--profile` writes V8 CPU profiles of each Baton
// process to bench/.cache/auth-profiles. Then the CPU time of each added
// step, measured in this process: a token's signature check, a remembered
// token, a rate limit check on Redis and on PostgreSQL. A CLI: output goes
// to stdout.
const options = roundOptions();
// Tokens name this as their audience; Baton checks it against BATON_AUTH_RESOURCE only.
const RESOURCE = 'http://baton.bench/mcp';
const PROFILES = 'bench/.cache/auth-profiles';

type Mode = 'off' | 'tokens' | 'on';
const MODES: readonly Mode[] = ['off', 'tokens', 'on'];

interface Round extends RoundResult {
  mode: Mode;
}

function settingsOf(mode: Mode, issuer: LocalIssuer): Record<string, string> {
  if (mode === 'off') return {};
  const tokens = { BATON_AUTH_ISSUER: issuer.url, BATON_AUTH_RESOURCE: RESOURCE };
  if (mode === 'tokens') return { ...tokens, BATON_RATE_LIMITS: 'agent=off', BATON_HTTP_RATE_LIMITS: 'agent=off' };
  return { ...tokens, BATON_RATE_LIMITS: 'agent=1000000/60+1000', BATON_HTTP_RATE_LIMITS: 'agent=1000000/60+1000' };
}

// One round: the three modes' `baton serve` side by side (sideBySideRound).
function measureRound(round: number, env: Record<string, string>, issuer: LocalIssuer): Promise<Round[]> {
  mkdirSync(PROFILES, { recursive: true });
  const setups = MODES.map((mode) => ({
    mode,
    start: () => {
      const nodeArgs = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILES}`, `--cpu-prof-name=auth-${mode}-${Date.now()}.cpuprofile`] : [];
      return BatonProcess.start({ ...env, ...settingsOf(mode, issuer) }, `bench/.cache/auth-${mode}.log`, nodeArgs);
    },
    worker: async (w: number) => {
      const agentId = `bench-agent-${w}`;
      const headers: Record<string, string> = mode !== 'off' ? { authorization: `Bearer ${await issuer.token({ audience: RESOURCE, subject: agentId, scope: 'agent' })}` } : {};
      return { agentId, transport: { requestInit: { headers } } };
    },
  }));
  return sideBySideRound(round, setups, options);
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

const { name, url } = benchDatabaseUrl(options.adminUrl);
const env = { DATABASE_URL: url, REDIS_URL: options.redisUrl, BATON_REDIS_PREFIX: `bench-auth-${Date.now().toString(36)}`, BATON_LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'true' };
await migrate(env);
const issuer = await startLocalIssuer();
const rounds: Round[] = [];
let costs: ComponentCosts;
try {
  for (let r = 0; r < options.rounds; r++) rounds.push(...(await measureRound(r, env, issuer)));
  costs = await componentCosts(env, issuer);
} finally {
  await issuer.close();
  await dropDatabase(options.adminUrl, name);
}

const mean = (mode: Mode, pick: (r: Round) => number | null): number => meanOf(rounds, mode, pick);
process.stdout.write(
  `update_context, concurrency ${options.concurrency}, ${options.rounds} rounds; in each, the three modes side by side, ${options.durationMs / 1000} s each in slices of ${options.sliceMs / 1000} s taking turns; JWKS fetches by all Baton processes: ${issuer.jwksFetches()}\n\n`,
);
process.stdout.write('| round | auth and limits | ops/s | p50 ms | p99 ms | failed calls | Baton CPU ms/op | other load on the machine |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n');
rounds.forEach((r, i) => process.stdout.write(`| ${Math.floor(i / MODES.length) + 1} | ${r.mode} | ${fmt(r.throughput)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${r.errors} | ${fmt(r.batonCpuMsPerOp, 3)} | ${busyShare(r.othersBusy)} |\n`));
for (const mode of ['tokens', 'on'] as const) {
  const opsChange = (mean(mode, (r) => r.throughput) / mean('off', (r) => r.throughput) - 1) * 100;
  const cpuChange = (mean(mode, (r) => r.batonCpuMsPerOp) / mean('off', (r) => r.batonCpuMsPerOp) - 1) * 100;
  const median = (medianRatio(rounds, mode, 'off', (r) => r.batonCpuMsPerOp) - 1) * 100;
  process.stdout.write(
    `${mode} vs off: ${fmt(opsChange)}% operations per second, ${fmt(cpuChange)}% Baton CPU per call (median of the rounds: ${fmt(median)}%)${mode === 'on' ? ' (target: at most +5% CPU per call)' : ''}.\n`,
  );
}
process.stdout.write(
  `\nCPU per step, in this process: signature check of an access token ${fmt(costs.verifyMicros)} µs; a remembered token ${fmt(costs.rememberedMicros, 2)} µs; ` +
    `one rate limit check ${fmt(costs.redisLimitMicros)} µs on Redis, ${fmt(costs.postgresLimitMicros)} µs on PostgreSQL (the Baton side only; a tool call makes one, HTTP requests are counted in memory).\n`,
);
