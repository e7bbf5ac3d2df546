import { Injectable } from '@nestjs/common';

import { RedisService } from 'src/platform/redis/redis.service.js';
import type { CleanupReport, SweepResult, TransitionCounts } from 'src/features/lifecycle/lifecycle.types.js';

const COUNTERS: (keyof TransitionCounts)[] = ['dormant', 'expired', 'archived', 'purged'];

// The lifecycle's own bookkeeping, in Redis next to the queue so every Baton
// process reports the same figures: the last sweep, the last start-up check,
// and running totals of transitions.
@Injectable()
export class LifecycleStatsRepository {
  constructor(private readonly redis: RedisService) {}

  async saveSweep(result: SweepResult): Promise<void> {
    await this.redis.client.set(this.redis.key('lifecycle', 'last-sweep'), JSON.stringify(result));
  }

  async lastSweep(): Promise<SweepResult | null> {
    return this.read<SweepResult>('last-sweep');
  }

  async saveCleanup(report: CleanupReport): Promise<void> {
    await this.redis.client.set(this.redis.key('lifecycle', 'last-cleanup'), JSON.stringify(report));
  }

  async lastCleanup(): Promise<CleanupReport | null> {
    return this.read<CleanupReport>('last-cleanup');
  }

  async addTransitions(counts: Partial<TransitionCounts>): Promise<void> {
    const pipeline = this.redis.client.pipeline();
    for (const counter of COUNTERS) if (counts[counter]) pipeline.hincrby(this.redis.key('lifecycle', 'totals'), counter, counts[counter] as number);
    if (pipeline.length > 0) await pipeline.exec();
  }

  async totals(): Promise<TransitionCounts> {
    const raw = await this.redis.client.hgetall(this.redis.key('lifecycle', 'totals'));
    return { dormant: Number(raw.dormant ?? 0), expired: Number(raw.expired ?? 0), archived: Number(raw.archived ?? 0), purged: Number(raw.purged ?? 0) };
  }

  private async read<T>(name: string): Promise<T | null> {
    const raw = await this.redis.client.get(this.redis.key('lifecycle', name));
    return raw === null ? null : (JSON.parse(raw) as T);
  }
}
