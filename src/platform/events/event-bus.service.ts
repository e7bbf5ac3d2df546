import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';

import { RedisService } from 'src/platform/redis/redis.service.js';

// Something changed that readers may be watching: `type` names what happened
// (e.g. `context.appended`), `subject` names what it happened to.
export interface DomainEvent {
  readonly namespace: string;
  readonly type: string;
  readonly subject: Readonly<Record<string, string>>;
}

type Listener = (event: DomainEvent) => void;

// Fans domain events out to every Baton process through Redis pub/sub, so an
// append handled by one replica (or by the worker) reaches subscribers held by
// another. Local listeners hear each event once, from Redis.
@Injectable()
export class EventBusService implements OnModuleDestroy {
  private readonly logger = new Logger(EventBusService.name);
  private readonly listeners = new Set<Listener>();
  private subscriber?: Redis;
  private ready?: Promise<void>;

  constructor(private readonly redis: RedisService) {}

  private get channel(): string {
    return this.redis.key('events');
  }

  async publish(event: DomainEvent): Promise<void> {
    try {
      await this.redis.client.publish(this.channel, JSON.stringify(event));
    } catch (error) {
      // A lost notification must never fail the write that caused it.
      this.logger.warn({ type: event.type, err: (error as Error).message }, 'could not publish a domain event');
    }
  }

  // Many events in one round trip (a sweep that transitions thousands of
  // sessions); like publish, never throws.
  async publishMany(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      const pipeline = this.redis.client.pipeline();
      for (const event of events) pipeline.publish(this.channel, JSON.stringify(event));
      await pipeline.exec();
    } catch (error) {
      this.logger.warn({ count: events.length, err: (error as Error).message }, 'could not publish domain events');
    }
  }

  // Resolves once the Redis subscription is live, so an event published after
  // it returns is never missed.
  async listen(listener: Listener): Promise<() => void> {
    this.listeners.add(listener);
    await this.ensureSubscribed();
    return () => this.listeners.delete(listener);
  }

  private ensureSubscribed(): Promise<void> {
    this.ready ??= (async () => {
      this.subscriber = this.redis.connect('events');
      this.subscriber.on('message', (_channel: string, message: string) => this.dispatch(message));
      await this.subscriber.subscribe(this.channel);
    })();
    return this.ready;
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
