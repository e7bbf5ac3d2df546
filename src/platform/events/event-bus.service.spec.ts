import { EventEmitter } from 'node:events';

import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';

import type { BatonConfig } from 'src/config/config.schema.js';
import { EventBusService, type DomainEvent } from 'src/platform/events/event-bus.service.js';
import type { RedisService } from 'src/platform/redis/redis.service.js';

// Redis pub/sub in memory: every published message reaches every subscriber
// connection, the publisher's own included, as in Redis.
function fakeRedis(status = 'ready') {
  const subscribers: EventEmitter[] = [];
  const published: string[] = [];
  const deliver = (channel: string, message: string) => subscribers.forEach((s) => s.emit('message', channel, message));
  const client = {
    status,
    publish: jest.fn(async (channel: string, message: string) => {
      published.push(message);
      deliver(channel, message);
      return 1;
    }),
  };
  const redis = {
    enabled: true,
    client,
    key: (name: string) => `test:${name}`,
    connect: () => {
      const subscriber = Object.assign(new EventEmitter(), { subscribe: async () => 1 });
      subscribers.push(subscriber);
      return subscriber;
    },
  };
  return { redis: redis as unknown as RedisService, published, deliver };
}

const CONFIG = { database: {}, redis: { keyPrefix: 'test' } } as unknown as BatonConfig;
const EVENT: DomainEvent = { namespace: 'ns', type: 'context.appended', subject: { sessionKey: 'k', sequence: '1' } };
const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

beforeAll(() => Logger.overrideLogger(false));

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
