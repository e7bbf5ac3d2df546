import { Command } from 'commander';

import { keysCommand, type KeysSession } from 'src/cli/keys.command.js';
import { ConfigError, loadConfig, redactSecrets } from 'src/config/config.loader.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import type * as Bootstrap from 'src/bootstrap.js';
import { BATON_VERSION } from 'src/config/version.js';
import { ensureDatabaseSchema, MigrationError, runMigrations } from 'src/platform/database/migrator.js';
import { createBootLogger } from 'src/platform/logging/boot-logger.js';
import { startUpDone, withDateFormatsBuiltOnFirstUse } from 'src/platform/runtime/start-up-footprint.js';

// The `baton` command. User-facing output goes to stderr so that `baton
// stdio` keeps stdout for the protocol.
const program = new Command('baton')
  .description('Session and agent-handoff service for coding agents, served over MCP')
  .version(BATON_VERSION)
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Modes:
  embedded (default)  no DATABASE_URL: Baton runs its own PostgreSQL in BATON_HOME
                      (see BATON_HOME in .env.example), shared by every Baton
                      process of this user and stopped when the last one exits.
  service             DATABASE_URL names a PostgreSQL 13+ server (team deployments).
  Redis is optional: with REDIS_URL set, jobs, notifications and the brief cache use it;
  without it, jobs and notifications go through PostgreSQL and the cache is in-process
  (BATON_QUEUE_BACKEND=postgres keeps jobs in PostgreSQL even with Redis).

Settings come from environment variables or a YAML/JSON file named by BATON_CONFIG; see .env.example.
\`baton status\` shows the mode in use.`,
  );

program
  .command('serve')
  .description('serve MCP over Streamable HTTP at /mcp, plus REST (/api) and health checks (/health)')
  .option('--host <host>', 'listen address (overrides BATON_HTTP_HOST)')
  .option('--port <port>', 'listen port (overrides BATON_HTTP_PORT)')
  .action(async (options: { host?: string; port?: string }) => {
    const settings = boot({ BATON_HTTP_HOST: options.host, BATON_HTTP_PORT: options.port });
    const { httpAuthProblems } = await import('src/http/auth/http-auth.policy.js');
    const authProblems = httpAuthProblems(settings);
    if (authProblems.length > 0) {
      process.stderr.write(`${authProblems.join('\n')}\n`);
      process.exit(2);
    }
    // Probes and clients reach the process from here on (see StartingServer),
    // before the application's modules load, which keeps the thread busy.
    const { StartingServer } = await import('src/http/starting-server.js');
    const starting = await StartingServer.listen(settings.http.host, settings.http.port);
    // The application's modules load while the database is opened and checked.
    const application = loadApplication();
    const config = await withDatabase(settings, 'serve');
    await checkSchema(config);
    const { createHttpApplication, stopOnSignals, WorkerService } = await application;
    const app = await createHttpApplication(config, starting);
    stopOnSignals(app);
    await app.listen(config.http.port, config.http.host);
    process.stderr.write(`Baton ${BATON_VERSION} listening on http://${config.http.host}:${config.http.port}/mcp\n`);
    startUpDone();
    // After listening: workers wait for Redis in the background.
    if (config.queue.workersInServe) app.get(WorkerService).launch();
  });

program
  .command('stdio')
  .description('serve MCP over stdin/stdout, for agents that spawn Baton (logs go to stderr)')
  .action(async () => {
    const settings = boot();
    // Started by main.ts: the client's `initialize` is answered already.
    const handshake = (await import('src/mcp/transports/stdio-handshake.js')).StdioHandshake.forProcess();
    const application = loadApplication();
    const config = withStdioDefaults(await withDatabase(settings, 'stdio'));
    await checkSchema(config);
    const { serveStdio } = await application;
    // On the embedded database there is no `baton worker`: every stdio
    // process runs all the workers (BullMQ gives each job to one of them).
    // With DATABASE_URL, only this machine's analyses run here.
    await serveStdio(config, settings.database.url === undefined ? 'all' : 'local', handshake.handOver());
  });

program
  .command('worker')
  .description('run the background workers (session lifecycle, long analyses) until SIGTERM or SIGINT')
  .action(async () => {
    const settings = boot();
    const application = loadApplication();
    const config = await withDatabase(settings, 'worker');
    await checkSchema(config);
    const { createStandaloneApplication, stopOnSignals, WorkerService } = await application;
    const app = await createStandaloneApplication(config);
    stopOnSignals(app);
    app.get(WorkerService).launch();
    process.stderr.write(`Baton ${BATON_VERSION} worker running\n`);
    startUpDone();
  });

program
  .command('migrate')
  .description('apply pending database migrations (safe to run again; concurrent runs wait for each other)')
  .action(async () => {
    const config = boot();
    if (config.database.url === undefined) {
      const embedded = await withDatabase(config, 'migrate');
      await runMigrations(embedded.database.url as string, (line: string) => process.stderr.write(`${line}\n`));
      process.stderr.write('The embedded database is up to date.\n');
      process.exit(0);
    }
    const applied = await runMigrations(config.database.url, (line: string) => process.stderr.write(`${line}\n`));
    process.stderr.write(applied.length > 0 ? `Applied ${applied.length} migration(s).\n` : 'Database is up to date.\n');
  });

program
  .command('status')
  .description('show which mode Baton runs in, where its data lives, the processes sharing the embedded database and its size')
  .action(async () => {
    const config = boot();
    process.stdout.write(`${await describeStatus(config)}\n`);
  });

program.addCommand(
  keysCommand(
    openKeys,
    {
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
      fail: (message) => {
        process.stderr.write(`baton keys: ${message}\n`);
        process.exitCode = 2;
      },
    },
  ),
);

// The key service on the database, its audit records made as the local user from `cli`.
async function openKeys(): Promise<KeysSession> {
  const { config, release } = await openDatabase(boot(), 'keys');
  await checkSchema(config);
  const { createKeysApplication } = await loadApplication();
  const { ApiKeysService } = await import('src/features/api-keys/api-keys.service.js');
  const { runWithAccess } = await import('src/platform/access/access-context.js');
  const { localPrincipal } = await import('src/platform/access/principal.js');
  const app = await createKeysApplication(config);
  const service = app.get(ApiKeysService);
  const access = { principal: localPrincipal(config.sessions.defaultNamespace), source: 'cli' };
  return {
    defaultNamespace: config.sessions.defaultNamespace,
    keys: {
      create: (input) => runWithAccess(access, () => service.create(input)),
      list: (namespace) => runWithAccess(access, () => service.list(namespace)),
      rotate: (id, options) => runWithAccess(access, () => service.rotate(id, options)),
      revoke: (id) => runWithAccess(access, () => service.revoke(id)),
    },
    close: async () => {
      await app.close();
      await release();
    },
  };
}

// Nest and the features, for the serving commands only. A failure to load
// is reported when awaited, not as an unhandled rejection meanwhile.
function loadApplication(): Promise<typeof Bootstrap> {
  const loading = withDateFormatsBuiltOnFirstUse(() => import('src/bootstrap.js'));
  loading.catch(() => undefined);
  return loading;
}

// Without DATABASE_URL, the embedded PostgreSQL: joined or started, for the
// life of the process.
async function withDatabase(config: BatonConfig, role: string): Promise<BatonConfig> {
  return (await openDatabase(config, role)).config;
}

// The same for a command that ends: release gives up this process's lease on
// the embedded server (its open connection would keep the process alive).
async function openDatabase(config: BatonConfig, role: string): Promise<{ config: BatonConfig; release: () => Promise<void> }> {
  if (config.database.url !== undefined) return { config, release: async () => undefined };
  const { openEmbeddedDatabase } = await import('src/platform/embedded/embedded-database.js');
  const embedded = await openEmbeddedDatabase({ home: batonHome(config), idleSeconds: config.database.embeddedIdleSeconds, role });
  if (embedded.started === 'created') process.stderr.write(`Baton created its embedded PostgreSQL in ${embedded.home}\n`);
  // The embedded database is always migrated at start (checkSchema does it).
  return { config: { ...config, database: { ...config.database, url: embedded.url, autoMigrate: true } }, release: () => embedded.close() };
}

async function describeStatus(config: BatonConfig): Promise<string> {
  const services = [
    `queues: ${config.queue.backend === 'redis' ? 'Redis (BullMQ)' : 'PostgreSQL (BullMQ PostgreSQL backend)'}`,
    `notifications: ${config.redis.url !== undefined ? 'Redis pub/sub' : 'PostgreSQL LISTEN/NOTIFY'}`,
    `brief cache: ${config.redis.url !== undefined ? 'Redis' : 'in-process'}`,
  ];
  if (config.database.url !== undefined) {
    const url = new URL(config.database.url);
    url.password = url.password ? '***' : '';
    return [`mode: service (DATABASE_URL ${url.toString()})`, ...services].join('\n');
  }
  const { embeddedStatus } = await import('src/platform/embedded/embedded-database.js');
  const status = await embeddedStatus(batonHome(config));
  const lines = [
    'mode: embedded PostgreSQL (DATABASE_URL is empty)',
    `data: ${status.data}`,
    status.running ? `server: running on 127.0.0.1:${status.port} (PostgreSQL ${status.postgresVersion}, since ${status.startedAt}); it stops ${config.database.embeddedIdleSeconds} s after the last Baton process exits` : 'server: not running (the next Baton process starts it)',
    `processes: ${status.processes.length === 0 ? 'none' : status.processes.map((p) => `${p.pid} (${p.role}, since ${p.since.toISOString()})`).join(', ')}`,
    `database size: ${status.databaseBytes === null ? 'unknown while the server is stopped' : `${(status.databaseBytes / (1024 * 1024)).toFixed(1)} MiB`}`,
  ];
  return [...lines, ...services].join('\n');
}

function batonHome(config: BatonConfig): string {
  if (config.database.home === undefined) throw new Error('BATON_HOME could not be resolved; set it to an absolute directory');
  return config.database.home;
}

// The loaded configuration, so that a failure's message can have its secrets redacted.
let loaded: BatonConfig | undefined;

function boot(overrides: Record<string, string | undefined> = {}): BatonConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  try {
    return (loaded = loadConfig(defined));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nFix the settings above (see .env.example) and start again.\n`);
      process.exit(2);
    }
    throw error;
  }
}

// Serving commands start only on a database migrated exactly as far as this
// Baton knows; pending migrations are applied unless BATON_AUTO_MIGRATE=false.
async function checkSchema(config: BatonConfig): Promise<void> {
  const logger = createBootLogger(config).child({ context: 'DatabaseSchema' });
  try {
    if (config.database.url === undefined) throw new Error('No database URL: the embedded database was not opened');
    await ensureDatabaseSchema(config.database.url, { autoMigrate: config.database.autoMigrate, log: (line) => logger.info(line) });
  } catch (error) {
    if (!(error instanceof MigrationError)) throw error;
    logger.fatal(redactSecrets(error.message, config));
    process.exit(2);
  }
}

// A stdio server runs on the agent's machine, for the agent in its working
// directory: unless configured otherwise, that directory may be analysed.
function withStdioDefaults(config: BatonConfig): BatonConfig {
  if (config.codebase.allowedRoots.length > 0) return config;
  return { ...config, codebase: { ...config.codebase, allowedRoots: [process.cwd()] } };
}

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`baton: ${loaded ? redactSecrets(message, loaded) : message}\n`);
  process.exit(1);
});
