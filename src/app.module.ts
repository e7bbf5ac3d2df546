import { Module, type DynamicModule, type Type } from '@nestjs/common';

import { ConfigModule } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { AuditFeatureModule } from 'src/features/audit/audit.module.js';
import { CodebaseModule } from 'src/features/codebase/codebase.module.js';
import { ContextModule } from 'src/features/context/context.module.js';
import { HandoffsModule } from 'src/features/handoffs/handoffs.module.js';
import { LifecycleModule } from 'src/features/lifecycle/lifecycle.module.js';
import { SessionsModule } from 'src/features/sessions/sessions.module.js';
import { McpModule } from 'src/mcp/mcp.module.js';
import { CacheModule } from 'src/platform/cache/cache.module.js';
import { ClockModule } from 'src/platform/clock/clock.js';
import { DatabaseModule } from 'src/platform/database/database.module.js';
import { EventsModule } from 'src/platform/events/events.module.js';
import { AuditModule } from 'src/platform/audit/audit.module.js';
import { LimitsModule } from 'src/platform/limits/limits.module.js';
import { LlmModule } from 'src/platform/llm/llm.module.js';
import type { LogWrites } from 'src/platform/logging/boot-logger.js';
import { LoggingModule } from 'src/platform/logging/logging.module.js';
import { QueueModule } from 'src/platform/queue/queue.module.js';
import { RedisModule } from 'src/platform/redis/redis.module.js';
import { SecretsModule } from 'src/platform/secrets/secrets.module.js';
import { TelemetryModule } from 'src/platform/telemetry/telemetry.module.js';

@Module({})
export class AppModule {
  // `edges`: modules only some commands need, e.g. the REST and health
  // controllers of `baton serve` (loaded by that command alone).
  static forRoot(config: BatonConfig, edges: Type[] = [], logWrites: LogWrites = 'async'): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config, logWrites),
        TelemetryModule,
        ClockModule,
        DatabaseModule,
        RedisModule,
        EventsModule,
        QueueModule,
        LlmModule,
        CacheModule,
        SecretsModule,
        AuditModule,
        LimitsModule,
        SessionsModule,
        ContextModule,
        CodebaseModule,
        HandoffsModule,
        LifecycleModule,
        AuditFeatureModule,
        McpModule,
        ...edges,
      ],
    };
  }
}
