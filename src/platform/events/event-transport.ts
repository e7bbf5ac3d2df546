import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import pg from 'pg';

import { poolConfig } from 'src/platform/database/pool-config.js';
import type { RedisService } from 'src/platform/redis/redis.service.js';

// `all`: every process hears it. `subscriptions`: only processes that hold
// MCP resource subscriptions need it (see DomainEvent.audience).
export type EventTopic = 'all' | 'subscriptions';

// Carries serialized domain events between Baton processes.
export interface EventTransport {
  // Whether publishing can work right now; when not, events are dropped (and logged).
  readonly connected: boolean;
  readonly name: string;
  // Whether publishing to the topic can reach anyone now; when not, events
  // of it are not even serialized.
  wants(topic: EventTopic): boolean;
  publish(messages: readonly string[], topic: EventTopic): Promise<void>;
  // Resolves once messages of the `all` topic published from now on are heard.
  subscribe(onMessage: (message: string) => void): Promise<void>;
  // From now on this process hears the `subscriptions` topic too; resolves
  // once the other processes have been told to publish it.
  followSubscriptions(): Promise<void>;
  close(): Promise<void>;
}

// Redis pub/sub, a channel per topic. The `subscriptions` topic (every
// append) is published only while another process listens to it: PUBLISH
// answers how many did, and a process that starts listening says so on the
// `all` channel. So a process that serves no subscription elsewhere, the
// usual case, neither sends its appends to Redis nor hears them back.
export class RedisEventTransport implements EventTransport {
  readonly name = 'redis';
  private subscriber?: Redis;
  private following = false;
  // Until a PUBLISH says otherwise, someone may be listening.
  private othersFollow = true;

  constructor(private readonly redis: RedisService) {}

  private channel(topic: EventTopic): string {
    return this.redis.key(topic === 'all' ? 'events' : 'events:subscriptions');
  }

  get connected(): boolean {
    return this.redis.client.status === 'ready';
  }

  wants(topic: EventTopic): boolean {
    return topic === 'all' || this.othersFollow;
  }

  async publish(messages: readonly string[], topic: EventTopic): Promise<void> {
    if (!this.wants(topic)) return;
    const channel = this.channel(topic);
    let receivers: number;
    if (messages.length === 1) {
      receivers = await this.redis.client.publish(channel, messages[0] as string);
    } else {
      const pipeline = this.redis.client.pipeline();
      for (const message of messages) pipeline.publish(channel, message);
      const replies = (await pipeline.exec()) ?? [];
      receivers = Number(replies.at(-1)?.[1] ?? 1);
    }
    // This process's own listener hears it too; nobody else did: stop until told.
    if (topic === 'subscriptions' && receivers - (this.following ? 1 : 0) <= 0) this.othersFollow = false;
  }

  async subscribe(onMessage: (message: string) => void): Promise<void> {
    this.subscriber = this.redis.connect('events');
    this.subscriber.on('message', (_channel: string, message: string) => {
      if (message === FOLLOWING_SUBSCRIPTIONS) this.othersFollow = true;
      else onMessage(message);
    });
    await this.subscriber.subscribe(this.channel('all'));
    if (this.following) await this.listenToSubscriptions(this.subscriber);
  }

  async followSubscriptions(): Promise<void> {
    this.following = true;
    // Without a subscriber yet, subscribe() starts listening when it makes one.
    if (this.subscriber) await this.listenToSubscriptions(this.subscriber);
  }

  private async listenToSubscriptions(subscriber: Redis): Promise<void> {
    await subscriber.subscribe(this.channel('subscriptions'));
    await this.redis.client.publish(this.channel('all'), FOLLOWING_SUBSCRIPTIONS);
  }

  async close(): Promise<void> {
    // RedisService closes its connections.
  }
}

// Said on the `all` channel by a process that starts hearing the
// `subscriptions` topic. Shaped as an event of its own type, so a process
// that does not know it (an older replica) ignores it.
const FOLLOWING_SUBSCRIPTIONS = JSON.stringify({ namespace: '', type: 'events.following_subscriptions', subject: {} });

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
    this.pool = new pg.Pool(poolConfig(url, { max: 2, application_name: 'baton-events' }));
    this.pool.on('error', (error) => this.logger.warn({ err: error.message }, 'event connection error'));
  }

  get connected(): boolean {
    return !this.closing;
  }

  // One channel: every process hears every topic.
  wants(): boolean {
    return true;
  }

  async publish(messages: readonly string[]): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, message) FROM unnest($2::text[]) AS message', [this.channel, messages]);
  }

  async followSubscriptions(): Promise<void> {
    // Heard already: the one channel carries every topic.
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
