import { randomUUID } from 'node:crypto';

import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import pg from 'pg';

import { ConfigModule } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { localPrincipal, type Principal } from 'src/platform/access/principal.js';
import { expandScopes } from 'src/platform/access/scopes.js';
import { AuditModule } from 'src/platform/audit/audit.module.js';
import { AuditTrail, type AuditRecord } from 'src/platform/audit/audit-trail.js';
import { ClockModule } from 'src/platform/clock/clock.js';
import { DatabaseModule } from 'src/platform/database/database.module.js';
import { LimitsModule } from 'src/platform/limits/limits.module.js';
import { RateLimiterService } from 'src/platform/limits/rate-limiter.service.js';
import { RedisModule } from 'src/platform/redis/redis.module.js';
import { RedisService } from 'src/platform/redis/redis.service.js';
import { testConfig } from 'test/support/test-config.js';

const SETTINGS = {
  BATON_RATE_LIMITS: 'agent=5/60,reader=3/60+2,local=2/60',
  BATON_TOOL_RATE_LIMITS: 'analyze_codebase=2/60,get_context=off',
  BATON_HTTP_RATE_LIMITS: 'agent=4/60',
};

type Backend = 'redis' | 'postgres';

async function boot(backend: Backend, prefix: string): Promise<INestApplication> {
  const config = testConfig({ ...SETTINGS, BATON_REDIS_PREFIX: prefix });
  const settings: BatonConfig = backend === 'redis' ? config : { ...config, redis: { ...config.redis, url: undefined } };
  const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(settings), ClockModule, DatabaseModule, RedisModule, AuditModule, LimitsModule] }).compile();
  const app = moduleRef.createNestApplication();
  await app.init();
  // Until Redis answers, each process counts in memory.
  if (backend === 'redis') await app.get(RedisService).connected();
  return app;
}

function credential(role: 'agent' | 'reader'): Principal {
  return { kind: 'oauth', credentialId: `oauth:${randomUUID()}`, namespace: 'ns', agents: ['a'], scopes: expandScopes([role]) };
}

// How many of `calls` calls pass before the first is refused, and that refusal.
async function countUntilLimited(take: () => Promise<{ code: string; message: string; details?: Record<string, unknown> } | undefined>, calls: number) {
  let passed = 0;
  for (let i = 0; i < calls; i++) {
    const limited = await take();
    if (limited) return { passed, limited };
    passed++;
  }
  return { passed, limited: undefined };
}

describe.each<Backend>(['redis', 'postgres'])('RateLimiterService on %s', (backend) => {
  const prefix = `${process.env.BATON_E2E_REDIS_PREFIX}-limits-${backend}`;
  let app: INestApplication;
  let limits: RateLimiterService;

  beforeAll(async () => {
    app = await boot(backend, prefix);
    limits = app.get(RateLimiterService);
  });

  afterAll(async () => {
    await app.close();
  });

  it('lets exactly 5 tool calls of an agent through in a window of 5, refuses the 6th with the wait, and keeps the bucket in the store', async () => {
    const agent = credential('agent');
    const { passed, limited } = await countUntilLimited(() => limits.takeToolCall(agent, 'update_context'), 8);
    expect(passed).toBe(5);
    expect(limited?.code).toBe('RATE_LIMITED');
    const wait = limited?.details?.retryAfterSeconds as number;
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(limited?.message).toContain(`Wait ${wait} s before the next call`);
    expect(limited?.message).toContain('calling tools is limited to 5 per 60 s');
    expect(await storedPoints(backend, `${prefix}:ratelimit:tools:${agent.credentialId}`)).toBeGreaterThanOrEqual(5);
  });

  it('records a credential\'s refusals in the audit trail once a minute, not once per refused call', async () => {
    const record = jest.spyOn(app.get(AuditTrail), 'record');
    try {
      const agent = credential('agent');
      const { passed } = await countUntilLimited(() => limits.takeToolCall(agent, 'update_context'), 8);
      for (let i = 0; i < 3; i++) expect(await limits.takeToolCall(agent, 'update_context')).toBeDefined();
      expect(passed).toBe(5);
      const records = record.mock.calls.map(([r]) => r).filter((r: AuditRecord) => r.credentialId === agent.credentialId);
      expect(records).toEqual([{ action: 'limit.rate_exceeded', outcome: 'denied', namespace: 'ns', credentialId: agent.credentialId, source: undefined, detail: expect.objectContaining({ bucket: 'tools', limit: '5 per 60 s', recordedOncePerSeconds: 60 }) }]);
    } finally {
      record.mockRestore();
    }
  });

  it('gives two credentials separate buckets', async () => {
    const first = credential('agent');
    const second = credential('agent');
    expect((await countUntilLimited(() => limits.takeToolCall(first, 'update_context'), 8)).passed).toBe(5);
    expect((await countUntilLimited(() => limits.takeToolCall(second, 'update_context'), 8)).passed).toBe(5);
  });

  it('counts calls of an overridden tool in a bucket of their own at the tool\'s rate, and leaves a tool set to off unlimited', async () => {
    const agent = credential('agent');
    const analyses = await countUntilLimited(() => limits.takeToolCall(agent, 'analyze_codebase'), 5);
    expect(analyses.passed).toBe(2);
    expect(analyses.limited?.message).toContain('calling analyze_codebase is limited to 2 per 60 s');
    expect((await countUntilLimited(() => limits.takeToolCall(agent, 'get_context'), 20)).passed).toBe(20);
    expect((await countUntilLimited(() => limits.takeToolCall(agent, 'update_context'), 8)).passed).toBe(5);
  });

  it('lets a burst through once the rate is used up: 3 per window plus 2 gives exactly 5', async () => {
    const reader = credential('reader');
    const { passed, limited } = await countUntilLimited(() => limits.takeToolCall(reader, 'get_session'), 8);
    expect(passed).toBe(5);
    expect(limited?.message).toContain('3 per 60 s (plus a burst of 2 every 600 s)');
  });

  it('limits the local user only as a `local` rule says', async () => {
    const local = { ...localPrincipal('ns'), credentialId: `local-${randomUUID()}` };
    expect((await countUntilLimited(() => limits.takeToolCall(local, 'update_context'), 5)).passed).toBe(2);
    expect(await limits.takeHttpRequest(local)).toBeUndefined();
  });

  it('counts HTTP requests apart from tool calls, in this process and not in the store', async () => {
    const agent = credential('agent');
    expect((await countUntilLimited(() => limits.takeHttpRequest(agent), 6)).passed).toBe(4);
    expect(await storedPoints(backend, `${prefix}:ratelimit:http:${agent.credentialId}`)).toBe(0);
    expect((await countUntilLimited(() => limits.takeToolCall(agent, 'update_context'), 8)).passed).toBe(5);
  });
});

// Points used in the bucket's current window, read straight from the store.
async function storedPoints(backend: Backend, key: string): Promise<number> {
  if (backend === 'redis') {
    const redis = new Redis(process.env.BATON_E2E_REDIS_URL as string);
    try {
      return Number(await redis.get(key));
    } finally {
      await redis.quit();
    }
  }
  const client = new pg.Client({ connectionString: process.env.BATON_E2E_DATABASE_URL });
  await client.connect();
  try {
    const result = await client.query<{ points: number }>('SELECT points FROM rate_limit_buckets WHERE key = $1', [key]);
    return result.rows[0]?.points ?? 0;
  } finally {
    await client.end();
  }
}

describe('RateLimiterService while Redis cannot be reached', () => {
  it('counts in this process instead of failing the call: still exactly 5 of an agent\'s calls pass', async () => {
    const config = testConfig({ ...SETTINGS, REDIS_URL: 'redis://127.0.0.1:1', BATON_LOG_LEVEL: 'silent' });
    const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config), ClockModule, DatabaseModule, RedisModule, AuditModule, LimitsModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const agent = credential('agent');
      const { passed, limited } = await countUntilLimited(() => app.get(RateLimiterService).takeToolCall(agent, 'update_context'), 8);
      expect(passed).toBe(5);
      expect(limited?.code).toBe('RATE_LIMITED');
    } finally {
      await app.close();
    }
  });
});
