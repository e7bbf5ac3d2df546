import { createHash } from 'node:crypto';

import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract, type RateLimiterLike } from 'rate-limiter-flexible';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { BURST_WINDOWS, describeRateLimit, resolveRateLimitPolicy, type RateLimit, type RateLimitPolicy } from 'src/config/rate-limit-policy.js';
import { currentAccess } from 'src/platform/access/access-context.js';
import { poolConfig } from 'src/platform/database/pool-config.js';
import type { Principal } from 'src/platform/access/principal.js';
import { roleOf } from 'src/platform/access/principal-role.js';
import { LeasedLimiter } from 'src/platform/limits/leased-limiter.js';
import { LimitError } from 'src/platform/limits/limits.errors.js';
import { RefusalAudit } from 'src/platform/limits/refusal-audit.js';
import { RedisService } from 'src/platform/redis/redis.service.js';

type Limiter = Pick<RateLimiterAbstract, 'consume'>;
// Where a bucket is kept: in the shared store, or in this process.
type Counted = 'shared' | 'process';

// The table of migration 20261202141700_rate_limit_buckets, in the shape
// rate-limiter-flexible reads and writes.
const POSTGRES_TABLE = 'rate_limit_buckets';
const POSTGRES_POOL_SIZE = 2;
// Keys stay far below the table's 255 characters.
const LONGEST_PLAIN_CREDENTIAL = 100;

// Rate limits per credential. Tool calls (by role, or per tool where
// overridden) are the credential's budget: their buckets live in Redis when
// Baton uses Redis, in PostgreSQL otherwise, so every replica counts against
// the same bucket; while the store cannot be reached, each process counts in
// memory instead of failing the call. HTTP requests (by role) are counted by
// each process in memory: that limit protects the process, and costs a call
// no trip to the store.
@Injectable()
export class RateLimiterService implements OnModuleDestroy {
  private readonly logger = new Logger(RateLimiterService.name);
  private readonly policy: RateLimitPolicy;
  private readonly limiters = new Map<string, Limiter>();
  private pool?: pg.Pool;

  constructor(
    private readonly redis: RedisService,
    private readonly refusals: RefusalAudit,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {
    this.policy = resolveRateLimitPolicy(config);
  }

  // A tool call: counted in the credential's bucket, or in the tool's own
  // where BATON_TOOL_RATE_LIMITS names it. The local user only when
  // BATON_RATE_LIMITS names `local`.
  async takeToolCall(principal: Principal, tool: string): Promise<LimitError | undefined> {
    const role = roleOf(principal);
    const limit = this.policy.toolCalls.get(role);
    if (role === 'local' && !limit) return undefined;
    const override = this.policy.toolOverrides.get(tool);
    if (override === 'off') return undefined;
    if (override) return this.take(`tool.${tool}`, override, principal, `calling ${tool}`, 'shared');
    return limit ? this.take('tools', limit, principal, 'calling tools', 'shared') : undefined;
  }

  async takeHttpRequest(principal: Principal): Promise<LimitError | undefined> {
    const limit = this.policy.httpRequests.get(roleOf(principal));
    return limit ? this.take('http', limit, principal, 'sending HTTP requests to this Baton process', 'process') : undefined;
  }

  private async take(bucket: string, limit: RateLimit, principal: Principal, what: string, where: Counted): Promise<LimitError | undefined> {
    try {
      await this.limiter(bucket, limit, where).consume(keyOf(principal));
      return undefined;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const refused = LimitError.rateLimited(what, describeRateLimit(limit), Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      this.refusals.refused(principal, 'limit.rate_exceeded', { bucket, ...refused.details }, currentAccess()?.source);
      return refused;
    }
  }

  private limiter(bucket: string, limit: RateLimit, where: Counted): Limiter {
    const id = `${bucket}:${limit.points}/${limit.seconds}+${limit.burst}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const store = (name: string, points: number, duration: number): RateLimiterLike =>
        where === 'shared' ? this.store(name, points, duration) : new RateLimiterMemory({ keyPrefix: name, points, duration });
      const steady = store(bucket, limit.points, limit.seconds);
      limiter = limit.burst > 0 ? new BurstyRateLimiter(steady, store(`${bucket}.burst`, limit.burst, limit.seconds * BURST_WINDOWS)) : steady;
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  // Taken in leases, so a busy credential does not cost a trip to the store on every call.
  private store(bucket: string, points: number, duration: number): LeasedLimiter {
    const keyPrefix = `${this.config.redis.keyPrefix}:ratelimit:${bucket}`;
    // Counts in this process while the store is away.
    const insuranceLimiter = new RateLimiterMemory({ keyPrefix, points, duration });
    const shared = this.redis.enabled
      ? new RateLimiterRedis({ storeClient: this.redis.client, keyPrefix, points, duration, insuranceLimiter, rejectIfRedisNotReady: true })
      : new RateLimiterPostgres({ storeClient: this.postgres(), storeType: 'pool', tableName: POSTGRES_TABLE, tableCreated: true, keyPrefix, points, duration, insuranceLimiter });
    return new LeasedLimiter(shared);
  }

  private postgres(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool(poolConfig(this.config.database.url, { max: POSTGRES_POOL_SIZE, application_name: 'baton-rate-limits' }));
      this.pool.on('error', (error) => this.logger.warn({ err: error.message }, 'rate limit connection error'));
    }
    return this.pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.end();
  }
}

function keyOf(principal: Principal): string {
  const id = principal.credentialId;
  return id.length <= LONGEST_PLAIN_CREDENTIAL ? id : `sha256:${createHash('sha256').update(id).digest('base64url')}`;
}
