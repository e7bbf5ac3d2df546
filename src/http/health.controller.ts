import { Controller, Get, type OnModuleInit } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

import { withTimeout } from 'src/platform/async/with-timeout.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import { RedisService } from 'src/platform/redis/redis.service.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';

// /health/live: the process answers. /health/ready: PostgreSQL and Redis
// (where configured) answer too, so a load balancer only routes to instances
// that can work. The same probes feed the baton.dependency.up gauge at each
// metrics scrape.
@Controller('health')
export class HealthController implements OnModuleInit {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
  ) {}

  onModuleInit(): void {
    batonMetrics().observe('baton.dependency.up', async (observe) => {
      for (const [dependency, check] of this.dependencies()) {
        const result = await this.probe(dependency, check);
        observe(result[dependency]?.status === 'up' ? 1 : 0, { 'baton.dependency.name': dependency });
      }
    });
  }

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(this.dependencies().map(([key, check]) => () => this.probe(key, check)));
  }

  private dependencies(): [string, () => Promise<unknown>][] {
    return [
      ['database', () => this.prisma.$queryRaw`SELECT 1`],
      ...(this.redis.enabled ? [['redis', () => this.pingRedis()] as [string, () => Promise<unknown>]] : []),
    ];
  }

  // While the connection is down, say so instead of waiting for a command to fail.
  private async pingRedis(): Promise<unknown> {
    if (this.redis.client.status !== 'ready') throw new Error(`not connected (${this.redis.client.status}); Baton reconnects in the background and serves what works without Redis meanwhile`);
    return this.redis.client.ping();
  }

  private async probe(key: string, check: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const indicator = this.indicator.check(key);
    const started = performance.now();
    try {
      await withTimeout(check(), 2_000);
      return indicator.up({ latencyMs: Math.round(performance.now() - started) });
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
