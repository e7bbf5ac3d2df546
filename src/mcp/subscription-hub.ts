import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

import { McpRegistry } from 'src/mcp/mcp-registry.js';
import { EventBusService, type DomainEvent } from 'src/platform/events/event-bus.service.js';

interface Subscriber {
  readonly server: Server;
  readonly namespace: string;
  readonly uris: Set<string>;
}

export const LIST_CHANGING_EVENTS = new Set(['session.created', 'session.status_changed']);

// Turns domain events into notifications/resources/updated for the MCP
// sessions that subscribed to the changed URIs (and list_changed where the
// resource list itself changed), in this process.
@Injectable()
export class SubscriptionHub implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SubscriptionHub.name);
  private readonly subscribers = new Set<Subscriber>();
  private stopListening?: () => void;

  constructor(
    private readonly events: EventBusService,
    private readonly registry: McpRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.stopListening = this.events.listen((event) => this.deliver(event));
  }

  // Settles when events from other processes can be heard.
  ready(): Promise<void> {
    return this.events.ready();
  }

  attach(server: Server, namespace: string): Subscriber {
    const subscriber: Subscriber = { server, namespace, uris: new Set() };
    this.subscribers.add(subscriber);
    return subscriber;
  }

  detach(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
  }

  private deliver(event: DomainEvent): void {
    const changed = new Set(this.registry.resources.flatMap((resource) => resource.changedUris?.(event) ?? []).map(canonicalUri));
    if (changed.size === 0 && !LIST_CHANGING_EVENTS.has(event.type)) return;
    for (const subscriber of this.subscribers) {
      if (subscriber.namespace !== event.namespace) continue;
      // Each subscriber hears of the URI as it subscribed to it.
      for (const uri of subscriber.uris) {
        if (changed.has(canonicalUri(uri))) this.send(subscriber, () => subscriber.server.sendResourceUpdated({ uri }));
      }
      if (LIST_CHANGING_EVENTS.has(event.type)) this.send(subscriber, () => subscriber.server.sendResourceListChanged());
    }
  }

  private send(subscriber: Subscriber, notify: () => Promise<void>): void {
    if (!subscriber.server.transport) return;
    notify().catch((error: Error) => this.logger.debug({ err: error.message }, 'could not notify an MCP session'));
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    this.subscribers.clear();
  }
}

// A subscription names a resource, not one rendering of its URI: the query
// (page, filter) is ignored and percent-encoding undone, so
// handoff://agents/a%40b/handoffs?status=pending matches handoff://agents/a@b/handoffs.
export function canonicalUri(uri: string): string {
  const path = uri.split('?', 1)[0] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
