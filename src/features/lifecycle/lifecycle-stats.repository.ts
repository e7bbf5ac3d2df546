import { Injectable } from '@nestjs/common';

import { PrismaService } from 'src/platform/database/prisma.service.js';
import type { CleanupReport, SweepResult, TransitionCounts } from 'src/features/lifecycle/lifecycle.types.js';

const COUNTERS: (keyof TransitionCounts)[] = ['dormant', 'expired', 'archived', 'purged'];

// The lifecycle's own bookkeeping, in PostgreSQL so every Baton process
// reports the same figures whether or not Redis is used: the last sweep, the
// last start-up check, and running totals of transitions.
@Injectable()
export class LifecycleStatsRepository {
  constructor(private readonly prisma: PrismaService) {}

  // A sweep of one namespace is kept apart from the sweeps of all.
  async saveSweep(result: SweepResult): Promise<void> {
    await this.save(scoped('last-sweep', result.namespace), result);
  }

  async lastSweep(namespace: string | null): Promise<SweepResult | null> {
    return this.read<SweepResult>(scoped('last-sweep', namespace));
  }

  async saveCleanup(report: CleanupReport): Promise<void> {
    await this.save('last-cleanup', report);
  }

  async lastCleanup(): Promise<CleanupReport | null> {
    return this.read<CleanupReport>('last-cleanup');
  }

  // One statement adds to every counter, so concurrent sweeps never lose a
  // count. Baton's totals (namespace null) and each namespace's are kept.
  async addTransitions(counts: Partial<TransitionCounts>, namespace: string | null): Promise<void> {
    const name = scoped('totals', namespace);
    const added = Object.fromEntries(COUNTERS.filter((counter) => counts[counter]).map((counter) => [counter, counts[counter] as number]));
    if (Object.keys(added).length === 0) return;
    await this.prisma.$executeRaw`
      INSERT INTO lifecycle_stats (name, value, updated_at) VALUES (${name}::text, ${JSON.stringify(added)}::jsonb, now())
      ON CONFLICT (name) DO UPDATE SET updated_at = now(), value = (
        SELECT jsonb_object_agg(key, COALESCE((lifecycle_stats.value ->> key)::bigint, 0) + COALESCE((EXCLUDED.value ->> key)::bigint, 0))
        FROM (SELECT jsonb_object_keys(lifecycle_stats.value || EXCLUDED.value) AS key) AS keys
      )`;
  }

  async totals(namespace: string | null): Promise<TransitionCounts> {
    const raw = (await this.read<Record<string, number>>(scoped('totals', namespace))) ?? {};
    return { dormant: Number(raw.dormant ?? 0), expired: Number(raw.expired ?? 0), archived: Number(raw.archived ?? 0), purged: Number(raw.purged ?? 0) };
  }

  private async save(name: string, value: object): Promise<void> {
    const json = JSON.parse(JSON.stringify(value)) as object;
    await this.prisma.lifecycleStat.upsert({ where: { name }, create: { name, value: json, updatedAt: new Date() }, update: { value: json, updatedAt: new Date() } });
  }

  private async read<T>(name: string): Promise<T | null> {
    const row = await this.prisma.lifecycleStat.findUnique({ where: { name } });
    return row === null ? null : (row.value as T);
  }
}

function scoped(name: string, namespace: string | null): string {
  return namespace === null ? name : `${name}:ns:${namespace}`;
}
