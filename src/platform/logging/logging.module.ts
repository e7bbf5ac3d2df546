import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';

import type { BatonConfig } from 'src/config/config.schema.js';

function loggerOptions(config: BatonConfig): pino.LoggerOptions {
  return { level: config.log.level, base: { service: 'baton' } };
}

function stderr(sync = false): pino.DestinationStream {
  return pino.destination({ fd: 2, sync });
}

// The same JSON lines before the application exists (start-up checks in the
// CLI). Written synchronously: the process may exit right after.
export function createBootLogger(config: BatonConfig): pino.Logger {
  return pino(loggerOptions(config), stderr(true));
}

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
              ...loggerOptions(config),
              redact: ['req.headers.authorization', 'req.headers.cookie'],
              autoLogging: { ignore: (req) => req.url === '/health/live' || req.url === '/health/ready' },
            },
            stderr(),
          ],
        }),
      ],
    };
  }
}
