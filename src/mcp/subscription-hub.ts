import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

import { McpRegistry } from 'src/mcp/mcp-registry.js';
import { McpSessionStore } from 'src/mcp/transports/mcp-session.store.js';
import { EventBusService, type DomainEvent } from 'src/platform/events/event-bus.service.js';

interface Subscriber {
  readonly server: Server;
  readonly namespace: string;
  // The MCP HTTP session it serves; subscriptions made through any replica reach it.
  sessionId?: string;
  readonly uris: Set<string>;
  // Changes heard but not yet sent; see COALESCE_MS.
  readonly pending: { uris: Set<string>; listChanged: boolean; timer?: NodeJS.Timeout };
}

// A burst of events (a sweep transitioning thousands of sessions) becomes
// one notification per URI per subscriber instead of thousands.
const COALESCE_MS = 10;

export const LIST_CHANGING_EVENTS = new Set(['session.created', 'session.status_changed']);
// A subscription made or dropped through one replica, for the others.
export const SUBSCRIPTION_CHANGED = 'mcp.subscription_changed';

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
    private readonly sessions: McpSessionStore,
  ) {}

  onApplicationBootstrap(): void {
    this.stopListening = this.events.listen((event) => this.deliver(event));
  }

  // Settles when events from other processes can be heard.
  ready(): Promise<void> {
    return this.events.ready();
  }

  attach(server: Server, namespace: string, sessionId?: string): Subscriber {
    const subscriber: Subscriber = { server, namespace, sessionId, uris: new Set(), pending: { uris: new Set(), listChanged: false } };
    this.subscribers.add(subscriber);
    return subscriber;
  }

  // The subscriber of a session another replica opened starts with the
  // subscriptions the session already has.
  async adopt(server: Server): Promise<void> {
    for (const subscriber of this.subscribers) {
      if (subscriber.server !== server || subscriber.sessionId === undefined) continue;
      for (const uri of await this.sessions.subscriptions(subscriber.sessionId)) subscriber.uris.add(uri);
      if (subscriber.uris.size > 0) await this.events.hearSubscriptionEvents();
    }
  }

  identify(server: Server, sessionId: string): void {
    for (const subscriber of this.subscribers) if (subscriber.server === server) subscriber.sessionId = sessionId;
  }

  // Records the change here, in Redis and, through the event bus, on every
  // replica serving the session. The announcement is sent before the write
  // on the same connection, so once this resolves every replica will have it
  // before any later event.
  async subscribe(subscriber: Subscriber, uri: string, subscribed: boolean): Promise<void> {
    if (subscribed) subscriber.uris.add(uri);
    else subscriber.uris.delete(uri);
    // Appends made by other processes reach this one only while it has subscriptions.
    if (subscribed) await this.events.hearSubscriptionEvents();
    const sessionId = subscriber.sessionId;
    if (sessionId !== undefined) {
      this.events.publish({ namespace: subscriber.namespace, type: SUBSCRIPTION_CHANGED, subject: { mcpSessionId: sessionId, uri, subscribed: String(subscribed) } });
      await this.sessions.subscribe(sessionId, uri, subscribed).catch((error: Error) => this.logger.warn({ mcpSessionId: sessionId, err: error.message }, 'could not share a subscription; only this replica knows it'));
    }
    await this.ready();
  }

  detach(subscriber: Subscriber): void {
    clearTimeout(subscriber.pending.timer);
    this.subscribers.delete(subscriber);
  }

  private deliver(event: DomainEvent): void {
    // Worker processes hear every event and usually serve nobody.
    if (this.subscribers.size === 0) return;
    if (event.type === SUBSCRIPTION_CHANGED) return this.follow(event.subject);
    const listChanging = LIST_CHANGING_EVENTS.has(event.type);
    // Most events (every append) reach no subscription at all.
    if (!listChanging && !this.anySubscription(event.namespace)) return;
    const changed = new Set(this.registry.resources.flatMap((resource) => resource.changedUris?.(event) ?? []).map(canonicalUri));
    if (changed.size === 0 && !listChanging) return;
    for (const subscriber of this.subscribers) {
      if (subscriber.namespace !== event.namespace) continue;
      const pending = subscriber.pending;
      // Each subscriber hears of the URI as it subscribed to it.
      for (const uri of subscriber.uris) if (changed.has(canonicalUri(uri))) pending.uris.add(uri);
      if (listChanging) pending.listChanged = true;
      if ((pending.uris.size > 0 || pending.listChanged) && !pending.timer) pending.timer = setTimeout(() => this.flush(subscriber), COALESCE_MS);
    }
  }

  private anySubscription(namespace: string): boolean {
    for (const subscriber of this.subscribers) if (subscriber.namespace === namespace && subscriber.uris.size > 0) return true;
    return false;
  }

  private follow(change: Readonly<Record<string, string>>): void {
    const { mcpSessionId, uri, subscribed } = change;
    if (mcpSessionId === undefined || uri === undefined) return;
    for (const subscriber of this.subscribers) {
      if (subscriber.sessionId !== mcpSessionId) continue;
      if (subscribed === 'true') {
        subscriber.uris.add(uri);
        void this.events.hearSubscriptionEvents();
      } else subscriber.uris.delete(uri);
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

// The form in which subscriptions and changes are compared: the path without
// its query string, percent-decoded, so `handoff://agents/a%40b/handoffs?status=x`
// hears of changes to `handoff://agents/a@b/handoffs`.
export function canonicalUri(uri: string): string {
  const path = uri.split('?', 1)[0] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
