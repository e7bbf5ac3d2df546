import 'reflect-metadata';

import { NestFactory } from '@nestjs/core';
import { Logger as NestLogger, type INestApplicationContext } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';

import { AppModule } from 'src/app.module.js';
import { KeysCliModule } from 'src/cli/keys-cli.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import type { StartingServer } from 'src/http/starting-server.js';
import { CODEBASE_QUEUE } from 'src/features/codebase/jobs/analyze-codebase.job.js';
import { StdioTransport } from 'src/mcp/transports/stdio.transport.js';
import { WorkerService } from 'src/platform/queue/worker.service.js';
import { startUpDone } from 'src/platform/runtime/start-up-footprint.js';

// For the CLI, which loads this module only when a command serves.
export { WorkerService };

const HTTP_KEEP_ALIVE_MS = 65_000;

// The HTTP application of `baton serve`, not yet listening; given the
// server `baton serve` started with, `app.listen()` takes that one over.
export async function createHttpApplication(config: BatonConfig, starting?: StartingServer): Promise<NestExpressApplication> {
  // MCP clients hold long-lived streams (SSE); without forcing them closed,
  // shutdown would wait for every client to hang up.
  // MCP over HTTP, REST and health (terminus) are for `baton serve` only:
  // imported here, so `baton stdio` and `baton worker` never load them.
  const { McpHttpModule } = await import('src/mcp/mcp-http.module.js');
  const { jsonBodyLimit, jsonRpcBodyErrors, StreamableHttpRoute } = await import('src/mcp/transports/streamable-http.route.js');
  const { HttpModule } = await import('src/http/http.module.js');
  const { securityHeaders } = await import('src/http/security-headers.js');
  const { StartingServerAdapter } = await import('src/http/starting-server-adapter.js');
  // A request line per request: gathered into fewer writes (see LogWrites).
  const module = AppModule.forRoot(config, [McpHttpModule, HttpModule], 'gathered');
  const options = { bufferLogs: true, forceCloseConnections: true };
  const app = starting ? await NestFactory.create<NestExpressApplication>(module, new StartingServerAdapter(starting), options) : await NestFactory.create<NestExpressApplication>(module, options);
  app.useLogger(app.get(Logger));
  // MCP requests first, by a route of their own with the same checks.
  app.use(app.get(StreamableHttpRoute).handler);
  app.use(securityHeaders());
  app.useBodyParser('json', { limit: jsonBodyLimit(config) });
  app.use(jsonRpcBodyErrors);
  // Clients and load balancers reuse idle connections; a server that closes
  // them first (Node's default: after 5 s) races their next request, which
  // then fails with ECONNRESET. Idle connections outlive the usual 60 s of
  // proxies instead, so the client side closes first.
  const server = app.getHttpServer();
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
  server.headersTimeout = HTTP_KEEP_ALIVE_MS + 1_000;
  return app;
}

// The application without an HTTP listener, for `baton stdio` and `baton worker`.
export async function createStandaloneApplication(config: BatonConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  return app;
}

// `baton stdio` until its client is gone. Its workers ('all' queues, or the
// 'local' one of this machine's analyses) start after the first answer,
// which must not wait for them.
export async function serveStdio(config: BatonConfig, workers: 'all' | 'local', streams: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; parentPid: number }): Promise<never> {
  const app = await createStandaloneApplication(config);
  stopOnSignals(app);
  const queues = workers === 'all' ? undefined : [CODEBASE_QUEUE];
  const afterFirstAnswer = (): void => {
    const workers = app.get(WorkerService);
    workers.launch(queues);
    void workers.whenStarted().then(startUpDone);
  };
  const reason = await app.get(StdioTransport).serve({ ...streams, afterFirstAnswer });
  return stopProcess(app, reason);
}

// The few modules `baton keys` uses, without an HTTP listener.
export async function createKeysApplication(config: BatonConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(KeysCliModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  return app;
}

// Time a stopping process gives running requests and jobs before it exits
// anyway.
const STOP_DEADLINE_MS = 10_000;

// Closes the application, waiting for it at most deadlineMs. True when it
// closed in time.
export async function closeApplication(app: INestApplicationContext, deadlineMs = STOP_DEADLINE_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), deadlineMs);
  });
  try {
    return await Promise.race([app.close().then(() => true), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

// Closes the application (within the deadline) and ends the process.
export async function stopProcess(app: INestApplicationContext, reason: string): Promise<never> {
  const logger = new NestLogger('Baton');
  logger.log({ reason }, 'stopping');
  const closed = await closeApplication(app).catch((error: Error) => {
    logger.error({ err: error.message }, 'closing failed');
    return false;
  });
  if (!closed) logger.warn({ deadlineMs: STOP_DEADLINE_MS }, 'did not stop in time; exiting anyway');
  process.exit(closed ? 0 : 1);
}

// SIGTERM and SIGINT stop the process whatever it is waiting for (Redis,
// PostgreSQL, a long job); a second signal ends it at once.
export function stopOnSignals(app: INestApplicationContext): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      void stopProcess(app, signal);
    });
  }
}
