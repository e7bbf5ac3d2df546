import { EventEmitter } from 'node:events';

import { jest } from '@jest/globals';

import type { BatonConfig } from 'src/config/config.schema.js';
import { EventBusService, type DomainEvent } from 'src/platform/events/event-bus.service.js';
import type { RedisService } from 'src/platform/redis/redis.service.js';

// Redis pub/sub in memory: a published message reaches every subscriber
// connection subscribed to its channel, the publisher's own included, as in
// Redis; PUBLISH answers how many did.
function fakeRedis(status = 'ready') {
  const subscribers: (EventEmitter & { channels: Set<string> })[] = [];
  const published: { channel: string; message: string }[] = [];
  const deliver = (channel: string, message: string) => {
    const receivers = subscribers.filter((s) => s.channels.has(channel));
    receivers.forEach((s) => s.emit('message', channel, message));
    return receivers.length;
  };
  const client = {
    status,
    publish: jest.fn(async (channel: string, message: string) => {
      published.push({ channel, message });
      return deliver(channel, message);
    }),
  };
  const redis = {
    enabled: true,
    client,
    key: (name: string) => `test:${name}`,
    connect: () => {
      const channels = new Set<string>();
      const subscriber = Object.assign(new EventEmitter(), { channels, subscribe: async (channel: string) => channels.add(channel).size });
      subscribers.push(subscriber);
      return subscriber;
    },
  };
  return { redis: redis as unknown as RedisService, published, deliver };
}

const CONFIG = { database: {}, redis: { keyPrefix: 'test' } } as unknown as BatonConfig;
const EVENT: DomainEvent = { namespace: 'ns', type: 'session.created', subject: { sessionKey: 'k' } };
const APPENDED: DomainEvent = { namespace: 'ns', type: 'context.appended', subject: { sessionKey: 'k', sequence: '1' }, audience: 'subscriptions' };
const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('EventBusService', () => {
  it('tells its own listeners of its own events once, not again when Redis echoes them back', async () => {
    const { redis, published } = fakeRedis();
    const bus = new EventBusService(redis, CONFIG);
    const heard: DomainEvent[] = [];
    bus.listen((e) => heard.push(e));
    await bus.ready();
    bus.publish(EVENT);
    await tick();
    expect(published).toHaveLength(1);
    expect(heard).toEqual([EVENT]);
  });

  it('tells its listeners of other processes\' events, from Redis', async () => {
    const { redis, deliver } = fakeRedis();
    const bus = new EventBusService(redis, CONFIG);
    const heard: DomainEvent[] = [];
    bus.listen((e) => heard.push(e));
    await bus.ready();
    deliver('test:events', JSON.stringify({ ...EVENT, origin: 'another-process' }));
    deliver('test:events', JSON.stringify(EVENT));
    expect(heard).toEqual([EVENT, EVENT]);
  });

  it('sends events meant for subscriptions to Redis only while another process follows them', async () => {
    const { redis, published } = fakeRedis();
    const writer = new EventBusService(redis, CONFIG);
    writer.listen(() => undefined);
    await writer.ready();
    const toSubscriptions = () => published.filter((p) => p.channel === 'test:events:subscriptions');
    // The first append finds out that no process listens; later ones stay home.
    await writer.publishMany([APPENDED]);
    await writer.publishMany([APPENDED]);
    expect(toSubscriptions()).toHaveLength(1);

    const reader = new EventBusService(redis, CONFIG);
    const heard: DomainEvent[] = [];
    reader.listen((e) => heard.push(e));
    await reader.hearSubscriptionEvents();
    await writer.publishMany([APPENDED]);
    expect(toSubscriptions()).toHaveLength(2);
    expect(heard).toEqual([APPENDED]);
  });

  it('hears its own events meant for subscriptions once, and those of other processes while it follows them', async () => {
    const { redis, deliver } = fakeRedis();
    const bus = new EventBusService(redis, CONFIG);
    const heard: DomainEvent[] = [];
    bus.listen((e) => heard.push(e));
    await bus.hearSubscriptionEvents();
    bus.publish(APPENDED);
    await tick();
    deliver('test:events:subscriptions', JSON.stringify({ origin: 'another-process', ...APPENDED }));
    expect(heard).toEqual([APPENDED, APPENDED]);
  });

  it('still tells its own listeners while Redis is away', async () => {
    const { redis, published } = fakeRedis('reconnecting');
    const bus = new EventBusService(redis, CONFIG);
    const heard: DomainEvent[] = [];
    bus.listen((e) => heard.push(e));
    bus.publish(EVENT);
    await bus.publishMany([EVENT]);
    await tick();
    expect(published).toHaveLength(0);
    expect(heard).toEqual([EVENT, EVENT]);
  });
});
