import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';

import type { BatonConfig } from 'src/config/config.schema.js';

// JSON lines on stderr in every mode: in `baton stdio` stdout belongs to the
// MCP protocol alone.
@Module({})
export class LoggingModule {
  static forRoot(config: BatonConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: [
            {
              level: config.log.level,
              base: { service: 'baton' },
              redact: ['req.headers.authorization', 'req.headers.cookie'],
              autoLogging: { ignore: (req) => req.url === '/health/live' || req.url === '/health/ready' },
            },
            pino.destination({ fd: 2, sync: false }),
          ],
        }),
      ],
    };
  }
}
