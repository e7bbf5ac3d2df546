import 'reflect-metadata';

import { Command } from 'commander';

import { createHttpApplication, createStandaloneApplication, stopOnSignals, stopProcess } from 'src/bootstrap.js';
import { ConfigError, loadConfig, redactSecrets } from 'src/config/config.loader.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { BATON_VERSION } from 'src/config/version.js';
import { httpAuthProblems } from 'src/http/auth/http-auth.policy.js';
import { CODEBASE_QUEUE } from 'src/features/codebase/jobs/analyze-codebase.job.js';
import { StdioTransport } from 'src/mcp/transports/stdio.transport.js';
import { ensureDatabaseSchema, MigrationError, runMigrations } from 'src/platform/database/migrator.js';
import { createBootLogger } from 'src/platform/logging/logging.module.js';
import { WorkerService } from 'src/platform/queue/worker.service.js';

// The `baton` command. User-facing output goes to stderr so that `baton
// stdio` keeps stdout for the protocol.
const program = new Command('baton')
  .description('Session and agent-handoff service for coding agents, served over MCP')
  .version(BATON_VERSION)
  .showHelpAfterError()
  .addHelpText('after', '\nSettings come from environment variables or a YAML/JSON file named by BATON_CONFIG; see .env.example.');

program
  .command('serve')
  .description('serve MCP over Streamable HTTP at /mcp, plus REST (/api) and health checks (/health)')
  .option('--host <host>', 'listen address (overrides BATON_HTTP_HOST)')
  .option('--port <port>', 'listen port (overrides BATON_HTTP_PORT)')
  .action(async (options: { host?: string; port?: string }) => {
    const config = boot({ BATON_HTTP_HOST: options.host, BATON_HTTP_PORT: options.port });
    const authProblems = httpAuthProblems(config);
    if (authProblems.length > 0) {
      process.stderr.write(`${authProblems.join('\n')}\n`);
      process.exit(2);
    }
    await checkSchema(config);
    const app = await createHttpApplication(config);
    stopOnSignals(app);
    await app.listen(config.http.port, config.http.host);
    process.stderr.write(`Baton ${BATON_VERSION} listening on http://${config.http.host}:${config.http.port}/mcp\n`);
    // After listening: workers wait for Redis in the background.
    if (config.queue.workersInServe) app.get(WorkerService).launch();
  });

program
  .command('stdio')
  .description('serve MCP over stdin/stdout, for agents that spawn Baton (logs go to stderr)')
  .action(async () => {
    const config = withStdioDefaults(boot());
    await checkSchema(config);
    const app = await createStandaloneApplication(config);
    stopOnSignals(app);
    // Background analyses of this machine's files run here, beside them.
    app.get(WorkerService).launch([CODEBASE_QUEUE]);
    const reason = await app.get(StdioTransport).serve();
    await stopProcess(app, reason);
  });

program
  .command('worker')
  .description('run the background workers (session lifecycle, long analyses) until SIGTERM or SIGINT')
  .action(async () => {
    const config = boot();
    await checkSchema(config);
    const app = await createStandaloneApplication(config);
    stopOnSignals(app);
    app.get(WorkerService).launch();
    process.stderr.write(`Baton ${BATON_VERSION} worker running\n`);
  });

program
  .command('migrate')
  .description('apply pending database migrations (safe to run again; concurrent runs wait for each other)')
  .action(async () => {
    const config = boot();
    const applied = await runMigrations(config.database.url, (line: string) => process.stderr.write(`${line}\n`));
    process.stderr.write(applied.length > 0 ? `Applied ${applied.length} migration(s).\n` : 'Database is up to date.\n');
  });

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
