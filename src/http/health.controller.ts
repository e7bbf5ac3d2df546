import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

import { withTimeout } from 'src/platform/async/with-timeout.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import { RedisService } from 'src/platform/redis/redis.service.js';

// /health/live: the process answers. /health/ready: PostgreSQL and Redis
// (where configured) answer too, so a load balancer only routes to instances
// that can work.
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    const database = () => this.probe('database', () => this.prisma.$queryRaw`SELECT 1`);
    return this.health.check(this.redis.enabled ? [database, () => this.probe('redis', () => this.redis.client.ping())] : [database]);
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
