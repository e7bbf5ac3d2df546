import { createRequire } from 'node:module';

import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type * as IoRedis from 'ioredis';
import type { Redis, RedisOptions } from 'ioredis';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { withTimeout } from 'src/platform/async/with-timeout.js';
import { UnavailableError } from 'src/platform/errors/unavailable.error.js';

// While Redis stays away, a reminder is logged this often; every connection
// error in between is only counted.
const OUTAGE_REMINDER_MS = 60_000;

// A connection not up after this long counts as failing, also when Redis
// neither refuses nor answers (a silent or blackholed address).
const CONNECT_PATIENCE_MS = 5_000;

const COMMAND_TIMEOUT_MS = 2_000;

// The client library loads with the first connection: without REDIS_URL
// (the embedded default) it is never needed.
function ioredis(): typeof IoRedis {
  return createRequire(import.meta.url)('ioredis') as typeof IoRedis;
}

// Owns Baton's Redis connections. Commands share one connection; each
// subscriber gets its own, as Redis requires. Without REDIS_URL there are
// none, and the callers use their PostgreSQL or in-process paths. Connection errors of every
// connection are reported here, as one line per outage, a reminder a minute
// and one line when Redis is back; the connections reconnect by themselves.
@Injectable()
export class RedisService implements OnModuleDestroy {
  private readonly logger = new Logger(RedisService.name);
  private readonly connections: Redis[] = [];
  // Connections (by role) whose last event was an error.
  private readonly failing = new Set<string>();
  private outageStartedAt = 0;
  private lastReminderAt = 0;
  private failedAttempts = 0;
  private readonly commands?: Redis;

  constructor(@Inject(BATON_CONFIG) private readonly config: BatonConfig) {
    // Commands fail fast while Redis is away, so a cache or notification
    // problem never stalls a database write that is waiting on it.
    if (this.enabled) this.commands = this.connect('commands', { maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS });
  }

  get enabled(): boolean {
    return this.config.redis.url !== undefined;
  }

  get client(): Redis {
    if (!this.commands) throw new Error('Redis is not configured (REDIS_URL is empty)');
    return this.commands;
  }

  get prefix(): string {
    return this.config.redis.keyPrefix;
  }

  // False while any connection is failing to reach Redis.
  get available(): boolean {
    return this.failing.size === 0;
  }

  // Settles once the command connection is up; throws UnavailableError when
  // it is not within a command's timeout, for callers (BullMQ) that would
  // otherwise wait for Redis without end.
  async connected(): Promise<void> {
    if (this.client.status === 'ready') return;
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      onReady = resolve;
      this.client.once('ready', onReady);
    });
    try {
      await withTimeout(ready, COMMAND_TIMEOUT_MS);
    } catch {
      throw new UnavailableError('Redis', `connection ${this.client.status}`);
    } finally {
      this.client.off('ready', onReady);
    }
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  // Blocking and subscriber connections (BullMQ workers, pub/sub) wait for
  // Redis to come back instead of failing their commands.
  connect(role: string, options: RedisOptions = { maxRetriesPerRequest: null }): Redis {
    if (this.config.redis.url === undefined) throw new Error(`Redis is not configured (REDIS_URL is empty), yet the ${role} connection asked for it`);
    const connection = new (ioredis().Redis)(this.config.redis.url, { connectTimeout: CONNECT_PATIENCE_MS, ...options, connectionName: `baton-${role}` });
    connection.on('error', (error: Error) => this.connectionFailed(role, error));
    connection.on('ready', () => this.connectionReady(role));
    setTimeout(() => {
      if (connection.status !== 'ready' && connection.status !== 'end' && !this.failing.has(role)) this.connectionFailed(role, new Error(`no answer within ${CONNECT_PATIENCE_MS} ms (connection ${connection.status})`));
    }, CONNECT_PATIENCE_MS).unref();
    this.connections.push(connection);
    return connection;
  }

  private connectionFailed(role: string, error: Error): void {
    this.failedAttempts++;
    const wasAvailable = this.available;
    this.failing.add(role);
    const now = Date.now();
    if (wasAvailable) {
      this.outageStartedAt = now;
      this.lastReminderAt = now;
      this.logger.warn(
        { dependency: 'redis', redis: this.target(), err: error.message },
        'Redis is unreachable: notifications, brief caching and background jobs wait for it, sessions, entries and handoffs keep working; reconnecting in the background',
      );
    } else if (now - this.lastReminderAt >= OUTAGE_REMINDER_MS) {
      this.lastReminderAt = now;
      this.logger.warn({ dependency: 'redis', redis: this.target(), err: error.message, downForSeconds: Math.round((now - this.outageStartedAt) / 1000), failedAttempts: this.failedAttempts }, 'Redis is still unreachable; reconnecting in the background');
    }
  }

  private connectionReady(role: string): void {
    if (!this.failing.delete(role) || !this.available) return;
    this.logger.log({ dependency: 'redis', redis: this.target(), downForSeconds: Math.round((Date.now() - this.outageStartedAt) / 1000) }, 'Redis is reachable again; notifications, caching and background jobs resume');
    this.failedAttempts = 0;
  }

  // Where Redis is, without credentials.
  private target(): string {
    if (this.config.redis.url === undefined) return 'not configured';
    const url = new URL(this.config.redis.url);
    return `${url.hostname}:${url.port || '6379'}`;
  }

  async onModuleDestroy(): Promise<void> {
    // quit() waits for Redis to answer; a connection that is not up would
    // wait forever, so it is dropped instead.
    await Promise.all(this.connections.map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
  }
}
