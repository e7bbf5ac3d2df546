import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

import { McpRegistry } from 'src/mcp/mcp-registry.js';
import { EventBusService, type DomainEvent } from 'src/platform/events/event-bus.service.js';

interface Subscriber {
  readonly server: Server;
  readonly namespace: string;
  readonly uris: Set<string>;
  // Changes heard but not yet sent; see COALESCE_MS.
  readonly pending: { uris: Set<string>; listChanged: boolean; timer?: NodeJS.Timeout };
}

// A burst of events (a sweep transitioning thousands of sessions) becomes
// one notification per URI per subscriber instead of thousands.
const COALESCE_MS = 10;

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

  async onApplicationBootstrap(): Promise<void> {
    this.stopListening = await this.events.listen((event) => this.deliver(event));
  }

  attach(server: Server, namespace: string): Subscriber {
    const subscriber: Subscriber = { server, namespace, uris: new Set(), pending: { uris: new Set(), listChanged: false } };
    this.subscribers.add(subscriber);
    return subscriber;
  }

  detach(subscriber: Subscriber): void {
    clearTimeout(subscriber.pending.timer);
    this.subscribers.delete(subscriber);
  }

  private deliver(event: DomainEvent): void {
    // Worker processes hear every event and usually serve nobody.
    if (this.subscribers.size === 0) return;
    const changed = this.registry.resources.flatMap((resource) => resource.changedUris?.(event) ?? []);
    for (const subscriber of this.subscribers) {
      if (subscriber.namespace !== event.namespace) continue;
      const pending = subscriber.pending;
      for (const uri of changed) if (subscriber.uris.has(uri)) pending.uris.add(uri);
      if (LIST_CHANGING_EVENTS.has(event.type)) pending.listChanged = true;
      if ((pending.uris.size > 0 || pending.listChanged) && !pending.timer) pending.timer = setTimeout(() => this.flush(subscriber), COALESCE_MS);
    }
  }

  private flush(subscriber: Subscriber): void {
    const pending = subscriber.pending;
    const uris = [...pending.uris];
    const listChanged = pending.listChanged;
    pending.uris.clear();
    pending.listChanged = false;
    pending.timer = undefined;
    // Unsubscribed meanwhile: the client no longer wants to hear of it.
    for (const uri of uris) if (subscriber.uris.has(uri)) this.send(subscriber, () => subscriber.server.sendResourceUpdated({ uri }));
    if (listChanged) this.send(subscriber, () => subscriber.server.sendResourceListChanged());
  }

  private send(subscriber: Subscriber, notify: () => Promise<void>): void {
    if (!subscriber.server.transport) return;
    notify().catch((error: Error) => this.logger.debug({ err: error.message }, 'could not notify an MCP session'));
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    for (const subscriber of this.subscribers) clearTimeout(subscriber.pending.timer);
    this.subscribers.clear();
  }
}
