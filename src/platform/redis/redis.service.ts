import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';

// Owns Baton's Redis connections. Commands share one connection; each
// subscriber gets its own, as Redis requires. Without REDIS_URL there are
// none, and the callers use their PostgreSQL or in-process paths.
@Injectable()
export class RedisService implements OnModuleDestroy {
  private readonly logger = new Logger(RedisService.name);
  private readonly connections: Redis[] = [];
  private readonly commands?: Redis;

  constructor(@Inject(BATON_CONFIG) private readonly config: BatonConfig) {
    // Commands fail fast while Redis is away, so a cache or notification
    // problem never stalls a database write that is waiting on it.
    if (this.enabled) this.commands = this.connect('commands', { maxRetriesPerRequest: 1, commandTimeout: 2_000 });
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

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  // Blocking and subscriber connections (BullMQ workers, pub/sub) wait for
  // Redis to come back instead of failing their commands.
  connect(role: string, options: RedisOptions = { maxRetriesPerRequest: null }): Redis {
    if (this.config.redis.url === undefined) throw new Error(`Redis is not configured (REDIS_URL is empty), yet the ${role} connection asked for it`);
    const connection = new Redis(this.config.redis.url, { ...options, connectionName: `baton-${role}` });
    connection.on('error', (error: Error) => this.logger.warn({ role, err: error.message }, 'redis connection error'));
    this.connections.push(connection);
    return connection;
  }

  async onModuleDestroy(): Promise<void> {
    // quit() waits for Redis to answer; a connection that is not up would
    // wait forever, so it is dropped instead.
    await Promise.all(this.connections.map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
  }
}
