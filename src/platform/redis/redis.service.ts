import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';

// Owns Baton's Redis connections. Commands share one connection; each
// subscriber gets its own, as Redis requires.
@Injectable()
export class RedisService implements OnModuleDestroy {
  private readonly logger = new Logger(RedisService.name);
  private readonly connections: Redis[] = [];
  readonly client: Redis;

  constructor(@Inject(BATON_CONFIG) private readonly config: BatonConfig) {
    this.client = this.connect('commands');
  }

  get prefix(): string {
    return this.config.redis.keyPrefix;
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  // Connections wait for Redis by default (queues and events need that);
  // `options` lets a role fail fast instead, e.g. the cache.
  connect(role: string, options: RedisOptions = {}): Redis {
    const connection = new Redis(this.config.redis.url, { lazyConnect: false, maxRetriesPerRequest: null, connectionName: `baton-${role}`, ...options });
    connection.on('error', (error: Error) => this.logger.warn({ role, err: error.message }, 'redis connection error'));
    this.connections.push(connection);
    return connection;
  }

  async onModuleDestroy(): Promise<void> {
    // QUIT needs a live connection; one still trying to connect is just dropped.
    await Promise.all(this.connections.map((c) => (c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : c.disconnect())));
  }
}
