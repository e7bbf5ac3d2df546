import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { withTimeout } from 'src/platform/async/with-timeout.js';
import { RedisService } from 'src/platform/redis/redis.service.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';

export interface CacheCounts {
  hits: number;
  misses: number;
  // Reads or writes that failed or timed out; the value was computed instead.
  errors: number;
}

export interface CacheStats {
  since: string;
  available: boolean;
  caches: Record<string, CacheCounts & { hitRate: number | null }>;
}

export interface Cached<T> {
  value: T;
  hit: boolean;
}

// Where cached JSON text lives: Redis, shared by every Baton process, or
// this process's memory when Baton runs without Redis.
interface CacheStore {
  readonly status: string;
  // Called once with true when the store is up, false when its connection failed.
  onceSettled(listener: (up: boolean) => void): void;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<unknown>;
}

// Bounded by the bytes of the values it holds, oldest-used evicted first.
const MEMORY_CACHE_BYTES = 64 * 1024 * 1024;

function memoryStore(): CacheStore {
  const entries = new LRUCache<string, string>({ maxSize: MEMORY_CACHE_BYTES, sizeCalculation: (value, key) => value.length + key.length });
  return {
    status: 'ready',
    onceSettled: (listener) => listener(true),
    get: async (key) => entries.get(key) ?? null,
    set: async (key, value, ttlSeconds) => entries.set(key, value, { ttl: ttlSeconds * 1000 }),
  };
}

function redisStore(redis: RedisService, timeoutMs: number): CacheStore {
  // Fail fast instead of queueing commands until Redis comes back.
  const client = redis.connect('cache', { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: timeoutMs });
  return {
    get status() {
      return client.status;
    },
    onceSettled: (listener) => {
      client.once('ready', () => listener(true));
      client.once('error', () => listener(false));
    },
    get: (key) => client.get(key),
    set: (key, value, ttlSeconds) => client.set(key, value, 'EX', ttlSeconds),
  };
}

// A read-through cache of JSON values, in Redis or (without Redis) in this
// process. The cache only ever saves work: when Redis is down, slow or
// returns garbage, the value is computed and the call succeeds. Keys should
// carry a version of what they were computed from (e.g. a session's last
// sequence), so a change makes the old value unreachable at once and the TTL
// only reclaims memory.
@Injectable()
export class CacheService implements OnModuleInit {
  private readonly logger = new Logger(CacheService.name);
  private readonly metrics = batonMetrics();
  // Per namespace ('' for values of none), then per cache.
  private readonly counts = new Map<string, Map<string, CacheCounts>>();
  private readonly since = new Date();
  private readonly client: CacheStore;
  private available = true;

  constructor(
    private readonly redis: RedisService,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {
    this.client = redis.enabled ? redisStore(redis, config.cache.timeoutMs) : memoryStore();
  }

  // Commands fail fast while the connection is down, so give it a moment to
  // come up at boot; Baton starts without the cache if it does not.
  async onModuleInit(): Promise<void> {
    if (this.client.status === 'ready') return;
    // A refused connection settles it at once; a silent one after the wait.
    const settled = new Promise<boolean>((resolve) => this.client.onceSettled(resolve));
    const up = await withTimeout(settled, Math.max(1_000, this.config.cache.timeoutMs * 4)).catch(() => false);
    if (!up) {
      this.available = false;
      // An outage is logged by RedisService; only a slow Redis is news here.
      this.logDegraded('cache not reachable at start-up; values will be computed until it answers');
    }
  }

  // A value computed from one namespace's data names it: its key is apart
  // from every other namespace's, and its hits count for that namespace.
  async getOrCompute<T>(cache: string, key: string, ttlSeconds: number, compute: () => Promise<T>, namespace = ''): Promise<Cached<T>> {
    const counts = this.countsOf(cache, namespace);
    const redisKey = namespace === '' ? this.redis.key('cache', cache, key) : this.redis.key('cache', cache, namespace, key);
    const stored = await this.attempt(counts, cache, () => this.client.get(redisKey));
    if (stored.ok && stored.value !== null) {
      const value = parse<T>(stored.value);
      if (value !== undefined) {
        counts.hits++;
        this.metrics.cacheRequests.add(1, { 'baton.cache.name': cache, 'baton.cache.outcome': 'hit' });
        this.logger.debug({ cache, hit: true }, 'cache hit');
        return { value: value.parsed, hit: true };
      }
    }
    if (stored.ok) {
      counts.misses++;
      this.metrics.cacheRequests.add(1, { 'baton.cache.name': cache, 'baton.cache.outcome': 'miss' });
    }
    this.logger.debug({ cache, hit: false }, 'cache miss');
    const value = await compute();
    if (stored.ok) await this.attempt(counts, cache, () => this.client.set(redisKey, JSON.stringify(value), Math.max(1, Math.round(ttlSeconds))));
    return { value, hit: false };
  }

  // The counts of one namespace, or of all of them (null).
  stats(namespace: string | null = null): CacheStats {
    const totals = new Map<string, CacheCounts>();
    for (const [owner, caches] of this.counts) {
      if (namespace !== null && owner !== namespace) continue;
      for (const [name, c] of caches) {
        const sum = totals.get(name) ?? { hits: 0, misses: 0, errors: 0 };
        totals.set(name, { hits: sum.hits + c.hits, misses: sum.misses + c.misses, errors: sum.errors + c.errors });
      }
    }
    const caches: CacheStats['caches'] = {};
    for (const [name, c] of totals) caches[name] = { ...c, hitRate: c.hits + c.misses > 0 ? c.hits / (c.hits + c.misses) : null };
    return { since: this.since.toISOString(), available: this.available, caches };
  }

  private logDegraded(message: string, fields: Record<string, unknown> = {}): void {
    if (this.redis.available) this.logger.warn(fields, message);
    else this.logger.debug(fields, message);
  }

  private countsOf(cache: string, namespace: string): CacheCounts {
    let caches = this.counts.get(namespace);
    if (!caches) {
      caches = new Map();
      this.counts.set(namespace, caches);
    }
    let counts = caches.get(cache);
    if (!counts) {
      counts = { hits: 0, misses: 0, errors: 0 };
      caches.set(cache, counts);
    }
    return counts;
  }

  private async attempt<R>(counts: CacheCounts, cache: string, operation: () => Promise<R>): Promise<{ ok: true; value: R } | { ok: false }> {
    try {
      const value = await withTimeout(operation(), this.config.cache.timeoutMs);
      if (!this.available) this.logger.log({ cache }, 'cache available again');
      this.available = true;
      return { ok: true, value };
    } catch (error) {
      counts.errors++;
      this.metrics.cacheRequests.add(1, { 'baton.cache.name': cache, 'baton.cache.outcome': 'error' });
      // One warning per outage, not one per call.
      if (this.available) this.logDegraded('cache unavailable; computing values until it answers again', { cache, err: (error as Error).message });
      this.available = false;
      return { ok: false };
    }
  }
}

function parse<T>(text: string): { parsed: T } | undefined {
  try {
    return { parsed: JSON.parse(text) as T };
  } catch {
    return undefined;
  }
}
