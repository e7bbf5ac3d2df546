import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';

import { isRedisOutage } from 'src/platform/redis/redis-errors.js';
import { RedisService } from 'src/platform/redis/redis.service.js';

// Something changed that readers may be watching: `type` names what happened
// (e.g. `context.appended`), `subject` names what it happened to.
export interface DomainEvent {
  readonly namespace: string;
  readonly type: string;
  readonly subject: Readonly<Record<string, string>>;
}

type Listener = (event: DomainEvent) => void;

const SUBSCRIBE_PATIENCE_MS = 2_000;

// Fans domain events out to every Baton process through Redis pub/sub, so an
// append handled by one replica (or by the worker) reaches subscribers held by
// another. Local listeners hear each event once, from Redis.
@Injectable()
export class EventBusService implements OnModuleDestroy {
  private readonly logger = new Logger(EventBusService.name);
  private readonly listeners = new Set<Listener>();
  private subscriber?: Redis;
  private subscribed?: Promise<void>;

  constructor(private readonly redis: RedisService) {}

  private get channel(): string {
    return this.redis.key('events');
  }

  // Fire and forget: a write never waits for, or fails because of, its
  // notification. While Redis is away the event is dropped (and logged).
  publish(event: DomainEvent): void {
    if (this.redis.client.status !== 'ready') {
      // The outage itself is logged once by RedisService.
      this.logger.debug({ type: event.type, redis: this.redis.client.status }, 'Redis is not connected; a domain event was not published');
      return;
    }
    this.redis.client.publish(this.channel, JSON.stringify(event)).catch((error: Error) => {
      this.logger.warn({ type: event.type, err: error.message }, 'could not publish a domain event');
    });
  }

  // Many events in one round trip (a sweep that transitions thousands of
  // sessions); like publish, it never throws and drops events while Redis is away.
  async publishMany(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (this.redis.client.status !== 'ready') {
      this.logger.debug({ count: events.length, redis: this.redis.client.status }, 'Redis is not connected; domain events were not published');
      return;
    }
    try {
      const pipeline = this.redis.client.pipeline();
      for (const event of events) pipeline.publish(this.channel, JSON.stringify(event));
      await pipeline.exec();
    } catch (error) {
      this.logger.warn({ count: events.length, err: (error as Error).message }, 'could not publish domain events');
    }
  }

  // Registers the listener at once and starts the Redis subscription in the
  // background; a Redis outage never blocks the caller.
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    void this.ready();
    return () => this.listeners.delete(listener);
  }

  // Settles when the Redis subscription is live, or after a short wait while
  // Redis is unreachable (ioredis subscribes as soon as it is back). Events
  // published before the subscription is live are not heard.
  ready(): Promise<void> {
    this.subscribed ??= (async () => {
      this.subscriber = this.redis.connect('events');
      this.subscriber.on('message', (_channel: string, message: string) => this.dispatch(message));
      await this.subscriber.subscribe(this.channel);
    })().catch((error: Error) => {
      // Closed before Redis answered (an outage RedisService reports, or shutdown).
      if (isRedisOutage(error)) this.logger.debug({ err: error.message }, 'did not subscribe to domain events');
      else this.logger.warn({ err: error.message }, 'could not subscribe to domain events');
    });
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SUBSCRIBE_PATIENCE_MS).unref();
    });
    return Promise.race([this.subscribed, patience]).finally(() => clearTimeout(timer));
  }

  private dispatch(message: string): void {
    let event: DomainEvent;
    try {
      event = JSON.parse(message) as DomainEvent;
    } catch {
      this.logger.warn('ignored a malformed domain event');
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ type: event.type, err: (error as Error).message }, 'a domain event listener failed');
      }
    }
  }

  onModuleDestroy(): void {
    this.listeners.clear();
  }
}
