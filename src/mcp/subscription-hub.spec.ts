import { jest } from '@jest/globals';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';

import type { McpRegistry } from 'src/mcp/mcp-registry.js';
import { canonicalUri, SubscriptionHub } from 'src/mcp/subscription-hub.js';
import type { DomainEvent, EventBusService } from 'src/platform/events/event-bus.service.js';

async function setup() {
  let deliver: (event: DomainEvent) => void = () => undefined;
  const events = { listen: (listener: (event: DomainEvent) => void) => ((deliver = listener), () => undefined) };
  const registry = { resources: [{ changedUris: (event: DomainEvent) => [`handoff://sessions/${event.subject.sessionKey}`] }] };
  const hub = new SubscriptionHub(events as unknown as EventBusService, registry as unknown as McpRegistry);
  hub.onApplicationBootstrap();
  const server = { transport: {}, sendResourceUpdated: jest.fn(async () => undefined), sendResourceListChanged: jest.fn(async () => undefined) };
  const subscriber = hub.attach(server as unknown as Server, 'default');
  return { hub, server, subscriber, deliver: (event: DomainEvent) => deliver(event) };
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
