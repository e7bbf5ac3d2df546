import { Module, type DynamicModule } from '@nestjs/common';

import { ConfigModule } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { ApiKeysModule } from 'src/features/api-keys/api-keys.module.js';
import { AuditModule } from 'src/platform/audit/audit.module.js';
import { ClockModule } from 'src/platform/clock/clock.js';
import { DatabaseModule } from 'src/platform/database/database.module.js';
import { LoggingModule } from 'src/platform/logging/logging.module.js';

// What `baton keys` needs and no more: no Redis, queues or MCP server.
@Module({})
export class KeysCliModule {
  static forRoot(config: BatonConfig): DynamicModule {
    return { module: KeysCliModule, imports: [ConfigModule.forRoot(config), LoggingModule.forRoot(config), ClockModule, DatabaseModule, AuditModule, ApiKeysModule] };
  }
}
