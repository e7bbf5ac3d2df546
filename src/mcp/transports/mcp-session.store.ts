import { Inject, Injectable, Logger } from '@nestjs/common';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { RedisService } from 'src/platform/redis/redis.service.js';

export interface SharedMcpSession {
  readonly namespace: string;
  // The credential that opened it: no other may use it.
  readonly credentialId: string;
}

// MCP HTTP sessions shared by every `baton serve` replica through Redis: the
// session itself (so a replica that did not see the initialize can serve it)
// and its resource subscriptions (so the replica holding the client's GET
// stream knows what to notify). Entries live as long as the idle timeout.
// Without Redis (one process on its own) nothing is shared: sessions live in
// the process that opened them, so several replicas need Redis.
@Injectable()
export class McpSessionStore {
  private readonly logger = new Logger(McpSessionStore.name);

  constructor(
    private readonly redis: RedisService,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  private get ttl(): number {
    return this.config.http.mcpSessionIdleSeconds;
  }

  // Never fails the initialize: without Redis the session still works on
  // this replica, as it did before sessions were shared.
  async register(id: string, session: SharedMcpSession): Promise<void> {
    if (!this.redis.enabled) return;
    try {
      await this.redis.client.set(this.key(id), JSON.stringify(session), 'EX', this.ttl);
    } catch (error) {
      this.logger.warn({ mcpSessionId: id, err: (error as Error).message }, 'could not share an MCP session; other replicas will answer 404 for it');
    }
  }

  // The session, when some replica opened it and it is not idle or closed;
  // refreshes its lifetime. null also when Redis cannot be asked.
  async find(id: string): Promise<SharedMcpSession | null> {
    if (!this.redis.enabled) return null;
    try {
      const [[, value]] = (await this.redis.client.multi().get(this.key(id)).expire(this.key(id), this.ttl).expire(this.subscriptionsKey(id), this.ttl).exec()) as [[Error | null, string | null]];
      return value === null ? null : (JSON.parse(value) as SharedMcpSession);
    } catch (error) {
      this.logger.warn({ mcpSessionId: id, err: (error as Error).message }, 'could not look up a shared MCP session');
      return null;
    }
  }

  async touch(id: string): Promise<void> {
    if (!this.redis.enabled) return;
    await this.redis.client.multi().expire(this.key(id), this.ttl).expire(this.subscriptionsKey(id), this.ttl).exec().catch(() => undefined);
  }

  async remove(id: string): Promise<void> {
    if (!this.redis.enabled) return;
    await this.redis.client.del(this.key(id), this.subscriptionsKey(id)).catch(() => undefined);
  }

  async subscriptions(id: string): Promise<string[]> {
    if (!this.redis.enabled) return [];
    return this.redis.client.smembers(this.subscriptionsKey(id)).catch(() => []);
  }

  async subscribe(id: string, uri: string, subscribed: boolean): Promise<void> {
    if (!this.redis.enabled) return;
    const key = this.subscriptionsKey(id);
    const change = subscribed ? this.redis.client.multi().sadd(key, uri) : this.redis.client.multi().srem(key, uri);
    await change.expire(key, this.ttl).exec();
  }

  private key(id: string): string {
    return this.redis.key('mcp-session', id);
  }

  private subscriptionsKey(id: string): string {
    return this.redis.key('mcp-session', id, 'subscriptions');
  }
}
