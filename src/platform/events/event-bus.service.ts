import { randomUUID } from 'node:crypto';

import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { postgresIdentifier } from 'src/platform/database/postgres-identifier.js';
import { PostgresEventTransport, RedisEventTransport, type EventTopic, type EventTransport } from 'src/platform/events/event-transport.js';
import { isRedisOutage } from 'src/platform/redis/redis-errors.js';
import { RedisService } from 'src/platform/redis/redis.service.js';

// Something changed that readers may be watching: `type` names what happened
// (e.g. `context.appended`), `subject` names what it happened to.
export interface DomainEvent {
  readonly namespace: string;
  readonly type: string;
  readonly subject: Readonly<Record<string, string>>;
  // `subscriptions`: only MCP resource subscriptions react to it (an append),
  // so other processes hear it only while one of them holds a subscription.
  readonly audience?: 'subscriptions';
}

type Listener = (event: DomainEvent) => void;

const SUBSCRIBE_PATIENCE_MS = 2_000;

// Fans domain events out to every Baton process, through Redis pub/sub or,
// without Redis, PostgreSQL LISTEN/NOTIFY, so an append handled by one
// replica (or by the worker) reaches subscribers held by another. Listeners
// hear each event once: this process's own events at once (not back through
// the transport, which they are marked to skip), other processes' from it.
@Injectable()
export class EventBusService implements OnModuleDestroy {
  private readonly logger = new Logger(EventBusService.name);
  private readonly listeners = new Set<Listener>();
  private readonly transport: EventTransport;
  private readonly origin = randomUUID();
  // How this process's own messages begin (origin is written first), so the
  // echo of each of its events is dropped without parsing it.
  private readonly ownPrefix = `{"origin":${JSON.stringify(this.origin)},`;
  private subscribed?: Promise<void>;
  private followingSubscriptions?: Promise<void>;

  constructor(redis: RedisService, @Inject(BATON_CONFIG) config: BatonConfig) {
    this.transport = redis.enabled ? new RedisEventTransport(redis) : new PostgresEventTransport(requireUrl(config), postgresIdentifier(`${config.redis.keyPrefix}_events`));
  }

  // Fire and forget: a write never waits for, or fails because of, its
  // notification. While the transport is away the event is dropped (and logged).
  publish(event: DomainEvent): void {
    void this.publishMany([event]);
  }

  // Many events in one round trip (a sweep that transitions thousands of
  // sessions); like publish, it never throws and drops events while the transport is away.
  async publishMany(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.deliverLocally(events);
    if (!this.transport.connected) {
      // An outage is logged once by RedisService (or, for PostgreSQL, by the transport).
      this.logger.debug({ count: events.length, transport: this.transport.name }, 'events are not connected; domain events were not published to other processes');
      return;
    }
    try {
      const all = events.filter((event) => event.audience === undefined);
      const forSubscriptions = this.transport.wants('subscriptions') ? events.filter((event) => event.audience === 'subscriptions') : [];
      if (all.length === 0 && forSubscriptions.length === 0) return;
      // Outside the request's trace: a span for the fire-and-forget PUBLISH of
      // every append cost more than it told (Redis and pg spans need a parent).
      await context.with(ROOT_CONTEXT, () => Promise.all([this.send(all, 'all'), this.send(forSubscriptions, 'subscriptions')]));
    } catch (error) {
      this.logger.warn({ count: events.length, type: events[0]?.type, err: (error as Error).message }, 'could not publish domain events');
    }
  }

  private async send(events: readonly DomainEvent[], topic: EventTopic): Promise<void> {
    if (events.length > 0) await this.transport.publish(events.map((event) => JSON.stringify({ origin: this.origin, ...event })), topic);
  }

  // From now on listeners also hear other processes' events meant for
  // subscriptions. Settles when the other processes have been told to send
  // them (or, like ready(), after a short wait while the transport is away).
  hearSubscriptionEvents(): Promise<void> {
    this.followingSubscriptions ??= this.ready()
      .then(() => this.transport.followSubscriptions())
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'could not follow the events of subscriptions'));
    return patiently(this.followingSubscriptions);
  }

  // Registers the listener at once and starts the subscription in the
  // background; an outage never blocks the caller.
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    void this.ready();
    return () => this.listeners.delete(listener);
  }

  // Settles when the subscription is live, or after a short wait while the
  // transport is unreachable (it subscribes as soon as it is back). Events
  // published before the subscription is live are not heard.
  ready(): Promise<void> {
    this.subscribed ??= this.transport.subscribe((message) => this.dispatch(message)).catch((error: Error) => {
      // Closed before Redis answered (an outage RedisService reports, or shutdown).
      if (isRedisOutage(error)) this.logger.debug({ err: error.message }, 'did not subscribe to domain events');
      else this.logger.warn({ err: error.message }, 'could not subscribe to domain events');
    });
    return patiently(this.subscribed);
  }

  // After the caller's current step, as a message from the transport would be.
  private deliverLocally(events: readonly DomainEvent[]): void {
    if (this.listeners.size === 0) return;
    queueMicrotask(() => {
      for (const event of events) this.deliver(event);
    });
  }

  private dispatch(message: string): void {
    // Heard already, when it was published.
    if (message.startsWith(this.ownPrefix)) return;
    let received: DomainEvent & { origin?: string };
    try {
      received = JSON.parse(message) as DomainEvent & { origin?: string };
    } catch {
      this.logger.warn('ignored a malformed domain event');
      return;
    }
    const { origin: _origin, ...event } = received;
    this.deliver(event);
  }

  private deliver(event: DomainEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ type: event.type, err: (error as Error).message }, 'a domain event listener failed');
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.listeners.clear();
    await this.transport.close();
  }
}

// Settles with the work, or after SUBSCRIBE_PATIENCE_MS while it is still waiting for the transport.
function patiently(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const patience = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SUBSCRIBE_PATIENCE_MS).unref();
  });
  return Promise.race([work, patience]).finally(() => clearTimeout(timer));
}

function requireUrl(config: BatonConfig): string {
  if (config.database.url === undefined) throw new Error('No database URL for PostgreSQL notifications');
  return config.database.url;
}
