import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';

import { ContextModule } from 'src/features/context/context.module.js';
import { SessionsModule } from 'src/features/sessions/sessions.module.js';
import { DomainExceptionFilter } from 'src/http/domain-exception.filter.js';
import { HealthController } from 'src/http/health.controller.js';
import { SessionsController } from 'src/http/sessions.controller.js';

@Module({
  // Readiness answers say what is down; an outage is logged once by the
  // platform service that meets it, not on every probe.
  imports: [TerminusModule.forRoot({ logger: false }), SessionsModule, ContextModule],
  controllers: [HealthController, SessionsController],
  providers: [{ provide: APP_FILTER, useClass: DomainExceptionFilter }],
})
export class HttpModule {}
