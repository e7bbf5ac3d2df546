import { jest } from '@jest/globals';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

import type { McpRegistry } from 'src/mcp/mcp-registry.js';
import type { McpSessionStore } from 'src/mcp/transports/mcp-session.store.js';
import { canonicalUri, SUBSCRIPTION_CHANGED, SubscriptionHub } from 'src/mcp/subscription-hub.js';
import type { DomainEvent, EventBusService } from 'src/platform/events/event-bus.service.js';

async function setup() {
  let deliver: (event: DomainEvent) => void = () => undefined;
  const published: DomainEvent[] = [];
  const events = {
    listen: (listener: (event: DomainEvent) => void) => ((deliver = listener), () => undefined),
    publish: (event: DomainEvent) => published.push(event),
    ready: async () => undefined,
    hearSubscriptionEvents: jest.fn(async () => undefined),
  };
  const registry = { resources: [{ changedUris: (event: DomainEvent) => [`handoff://sessions/${event.subject.sessionKey}`] }] };
  const store = { subscribe: jest.fn(async () => undefined), subscriptions: jest.fn(async () => ['handoff://sessions/b']) };
  const hub = new SubscriptionHub(events as unknown as EventBusService, registry as unknown as McpRegistry, store as unknown as McpSessionStore);
  hub.onApplicationBootstrap();
  const server = { transport: {}, sendResourceUpdated: jest.fn(async () => undefined), sendResourceListChanged: jest.fn(async () => undefined) };
  const subscriber = hub.attach(server as unknown as Server, 'default');
  return { hub, server, subscriber, store, published, events, deliver: (event: DomainEvent) => deliver(event) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));
const changed = (sessionKey: string, namespace = 'default'): DomainEvent => ({ namespace, type: 'session.status_changed', subject: { sessionKey, status: 'dormant' } });

describe('SubscriptionHub', () => {
  it('turns a burst of events into one notification per subscribed URI and one list_changed', async () => {
    const { hub, server, subscriber, deliver } = await setup();
    subscriber.uris.add('handoff://sessions/a');
    for (let i = 0; i < 500; i++) deliver(changed(i % 2 === 0 ? 'a' : `other-${i}`));
    await settle();
    expect(server.sendResourceUpdated.mock.calls).toEqual([[{ uri: 'handoff://sessions/a' }]]);
    expect(server.sendResourceListChanged).toHaveBeenCalledTimes(1);
    hub.onModuleDestroy();
  });

  it('sends nothing for a URI unsubscribed before the burst is flushed, nor to other namespaces', async () => {
    const { hub, server, subscriber, deliver } = await setup();
    subscriber.uris.add('handoff://sessions/a');
    deliver({ namespace: 'default', type: 'context.appended', subject: { sessionKey: 'a' } });
    subscriber.uris.delete('handoff://sessions/a');
    deliver(changed('a', 'elsewhere'));
    await settle();
    expect(server.sendResourceUpdated).not.toHaveBeenCalled();
    expect(server.sendResourceListChanged).not.toHaveBeenCalled();
    hub.onModuleDestroy();
  });
});

describe('SubscriptionHub across replicas', () => {
  it('shares a subscription of an HTTP session through Redis and the event bus', async () => {
    const { hub, subscriber, store, published, events } = await setup();
    hub.identify(subscriber.server, 'mcp-1');
    await hub.subscribe(subscriber, 'handoff://sessions/a', true);
    expect(events.hearSubscriptionEvents).toHaveBeenCalled();
    expect(store.subscribe).toHaveBeenCalledWith('mcp-1', 'handoff://sessions/a', true);
    expect(published).toEqual([{ namespace: 'default', type: SUBSCRIPTION_CHANGED, subject: { mcpSessionId: 'mcp-1', uri: 'handoff://sessions/a', subscribed: 'true' } }]);
    hub.onModuleDestroy();
  });

  it('follows subscriptions another replica made for the same session, and only for it', async () => {
    const { hub, server, subscriber, deliver, events } = await setup();
    hub.identify(subscriber.server, 'mcp-1');
    deliver({ namespace: 'default', type: SUBSCRIPTION_CHANGED, subject: { mcpSessionId: 'mcp-1', uri: 'handoff://sessions/a', subscribed: 'true' } });
    // From then on, other processes' appends must reach this one.
    expect(events.hearSubscriptionEvents).toHaveBeenCalled();
    deliver({ namespace: 'default', type: SUBSCRIPTION_CHANGED, subject: { mcpSessionId: 'mcp-2', uri: 'handoff://sessions/c', subscribed: 'true' } });
    deliver({ namespace: 'default', type: 'context.appended', subject: { sessionKey: 'a' } });
    deliver({ namespace: 'default', type: 'context.appended', subject: { sessionKey: 'c' } });
    await settle();
    expect(server.sendResourceUpdated.mock.calls).toEqual([[{ uri: 'handoff://sessions/a' }]]);
    deliver({ namespace: 'default', type: SUBSCRIPTION_CHANGED, subject: { mcpSessionId: 'mcp-1', uri: 'handoff://sessions/a', subscribed: 'false' } });
    expect(subscriber.uris.size).toBe(0);
    hub.onModuleDestroy();
  });

  it('leaves other processes\' appends unheard while nothing is subscribed', async () => {
    const { hub, subscriber, events } = await setup();
    hub.identify(subscriber.server, 'mcp-1');
    await hub.subscribe(subscriber, 'handoff://sessions/a', false);
    expect(events.hearSubscriptionEvents).not.toHaveBeenCalled();
    hub.onModuleDestroy();
  });

  it('starts an adopted session with the subscriptions stored for it', async () => {
    const { hub, subscriber, events } = await setup();
    hub.identify(subscriber.server, 'mcp-1');
    await hub.adopt(subscriber.server);
    expect([...subscriber.uris]).toEqual(['handoff://sessions/b']);
    expect(events.hearSubscriptionEvents).toHaveBeenCalled();
    hub.onModuleDestroy();
  });
});

describe('canonicalUri', () => {
  it('matches a subscription whatever its query string and percent-encoding', () => {
    expect(canonicalUri('handoff://agents/codex%40ci/handoffs?status=pending')).toBe(canonicalUri('handoff://agents/codex@ci/handoffs'));
    expect(canonicalUri('handoff://sessions/s-1/context?afterSequence=4')).toBe('handoff://sessions/s-1/context');
  });

  it('keeps different resources apart and survives malformed escapes', () => {
    expect(canonicalUri('handoff://agents/a/handoffs')).not.toBe(canonicalUri('handoff://agents/b/handoffs'));
    expect(canonicalUri('handoff://agents/100%/handoffs')).toBe('handoff://agents/100%/handoffs');
  });
});
