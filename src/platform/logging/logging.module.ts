import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

import type { BatonConfig } from 'src/config/config.schema.js';
import { loggerOptions, stderrDestination, type LogWrites } from 'src/platform/logging/boot-logger.js';
import { nextRequestId } from 'src/platform/logging/request-log.js';

// JSON lines on stderr in every mode: in `baton stdio` stdout belongs to the
// MCP protocol alone. A request is one short line (method, URL, status,
// time); its headers only at debug level and below.
@Module({})
export class LoggingModule {
  static forRoot(config: BatonConfig, writes: LogWrites = 'async'): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: [
            {
              ...loggerOptions(config),
              redact: ['req.headers.authorization', 'req.headers.cookie'],
              genReqId: nextRequestId,
              autoLogging: { ignore: (req) => req.url === '/health/live' || req.url === '/health/ready' },
              ...(config.log.level === 'debug' || config.log.level === 'trace'
                ? {}
                : { serializers: { req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }), res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }) } }),
            },
            stderrDestination(writes),
          ],
        }),
      ],
    };
  }
}
