import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';

import { ContextModule } from 'src/features/context/context.module.js';
import { SessionsModule } from 'src/features/sessions/sessions.module.js';
import { AuthModule } from 'src/http/auth/auth.module.js';
import { DomainExceptionFilter } from 'src/http/domain-exception.filter.js';
import { HealthController } from 'src/http/health.controller.js';
import { MetricsController } from 'src/http/metrics.controller.js';
import { OriginGuardMiddleware } from 'src/http/origin-guard.middleware.js';
import { SessionsController } from 'src/http/sessions.controller.js';

@Module({
  // Readiness answers say what is down; an outage is logged once by the
  // platform service that meets it, not on every probe.
  imports: [TerminusModule.forRoot({ logger: false }), SessionsModule, ContextModule, AuthModule],
  controllers: [HealthController, MetricsController, SessionsController],
  providers: [{ provide: APP_FILTER, useClass: DomainExceptionFilter }, OriginGuardMiddleware],
  // For the /mcp route (StreamableHttpRoute), which runs the same checks.
  exports: [OriginGuardMiddleware, AuthModule],
})
export class HttpModule implements NestModule {
  constructor(private readonly origin: OriginGuardMiddleware) {}

  // Every route, unknown paths included (and /mcp, in its own route): a
  // rebound page must not read the REST API or probe what exists.
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(this.origin.use.bind(this.origin)).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
