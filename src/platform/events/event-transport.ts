import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import pg from 'pg';

import type { RedisService } from 'src/platform/redis/redis.service.js';

// Carries serialized domain events between Baton processes.
export interface EventTransport {
  // Whether publishing can work right now; when not, events are dropped (and logged).
  readonly connected: boolean;
  readonly name: string;
  publish(messages: readonly string[]): Promise<void>;
  // Resolves once messages published from now on are heard.
  subscribe(onMessage: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}

// Redis pub/sub on one channel.
export class RedisEventTransport implements EventTransport {
  readonly name = 'redis';
  private subscriber?: Redis;

  constructor(private readonly redis: RedisService) {}

  private get channel(): string {
    return this.redis.key('events');
  }

  get connected(): boolean {
    return this.redis.client.status === 'ready';
  }

  async publish(messages: readonly string[]): Promise<void> {
    if (messages.length === 1) {
      await this.redis.client.publish(this.channel, messages[0] as string);
      return;
    }
    const pipeline = this.redis.client.pipeline();
    for (const message of messages) pipeline.publish(this.channel, message);
    await pipeline.exec();
  }

  async subscribe(onMessage: (message: string) => void): Promise<void> {
    this.subscriber = this.redis.connect('events');
    this.subscriber.on('message', (_channel: string, message: string) => onMessage(message));
    await this.subscriber.subscribe(this.channel);
  }

  async close(): Promise<void> {
    // RedisService closes its connections.
  }
}

const RECONNECT_MS = 1_000;

// PostgreSQL LISTEN/NOTIFY, for Baton without Redis. Notifications are
// delivered to every session listening on the channel in the same database.
// The listening connection is re-established when it drops; events sent
// while it is down are not heard (as with Redis pub/sub).
export class PostgresEventTransport implements EventTransport {
  readonly name = 'postgres';
  private readonly logger = new Logger(PostgresEventTransport.name);
  private readonly pool: pg.Pool;
  private listener?: pg.Client;
  private closing = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'baton-events' });
    this.pool.on('error', (error) => this.logger.warn({ err: error.message }, 'event connection error'));
  }

  get connected(): boolean {
    return !this.closing;
  }

  async publish(messages: readonly string[]): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, message) FROM unnest($2::text[]) AS message', [this.channel, messages]);
  }

  async subscribe(onMessage: (message: string) => void): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'baton-events-listen' });
    client.on('notification', (notification) => {
      if (notification.channel === this.channel && notification.payload !== undefined) onMessage(notification.payload);
    });
    const retry = (error?: Error): void => {
      if (this.closing || this.listener !== client) return;
      this.listener = undefined;
      this.logger.warn({ err: error?.message }, 'lost the event listener connection; reconnecting');
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      setTimeout(() => void this.subscribe(onMessage).catch((e: Error) => retry(e)), RECONNECT_MS).unref();
    };
    this.listener = client;
    client.on('error', retry);
    client.on('end', () => retry());
    await client.connect();
    await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([this.listener?.end(), this.pool.end()]);
  }
}
