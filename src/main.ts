#!/usr/bin/env node
// The `baton` command. Telemetry starts first, before the application is
// imported, so that its module hooks see every library the application loads.
import { ConfigError, loadConfig } from 'src/config/config.loader.js';
import { startTelemetry, wouldExport, type TelemetryRole } from 'src/platform/telemetry/telemetry.js';

const ROLES: Record<string, TelemetryRole> = { serve: 'serve', worker: 'worker', stdio: 'stdio' };
const role = ROLES[process.argv[2] ?? ''];
if (role !== undefined) {
  try {
    const config = loadConfig();
    if (wouldExport(config, role)) await startTelemetry(config, role);
  } catch (error) {
    // The command reports invalid settings itself, naming each one.
    if (!(error instanceof ConfigError)) throw error;
  }
}
await import('src/cli.js');
