import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';

import { AppModule } from 'src/app.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';

// The HTTP application of `baton serve`, not yet listening.
export async function createHttpApplication(config: BatonConfig): Promise<NestExpressApplication> {
  // MCP clients hold long-lived streams (SSE); without forcing them closed,
  // shutdown would wait for every client to hang up.
  // REST and health (terminus) are for `baton serve` only: imported here, so
  // `baton stdio` and `baton worker` never load them.
  const { HttpModule } = await import('./http/http.module.js');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, [HttpModule]), { bufferLogs: true, forceCloseConnections: true });
  app.useLogger(app.get(Logger));
  // Entries may be as large as maxEntryBytes once JSON-escaped; the entry
  // size check, not the body parser, must be what rejects them.
  app.useBodyParser('json', { limit: Math.max(1024 * 1024, config.limits.maxEntryBytes * 8) });
  app.enableShutdownHooks();
  return app;
}

// The application without an HTTP listener, for `baton stdio` and `baton worker`.
export async function createStandaloneApplication(config: BatonConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  return app;
}
