#!/usr/bin/env node
// The `baton` command. Telemetry starts first, before the application is
// imported, so that its module hooks see every library the application loads.
import module from 'node:module';

import { compileWebAssemblyBaselineOnly, holdYoungGenerationWhileStarting } from 'src/platform/runtime/start-up-footprint.js';
import type { TelemetryRole } from 'src/platform/telemetry/telemetry.js';

// Before anything loads: what start-up leaves resident (see the module).
holdYoungGenerationWhileStarting();
compileWebAssemblyBaselineOnly();

// Node 22.1+ keeps the code it compiles for Baton's modules on disk, so the
// next start skips most of the compiling (NODE_DISABLE_COMPILE_CACHE=1 turns
// it off; NODE_COMPILE_CACHE names its directory).
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// Node prints process warnings (libraries' deprecations included) as plain
// text on stderr, which carries only JSON log lines: they become warn lines.
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), service: 'baton', context: 'process', warning: warning.name, code: warning.code, msg: warning.message })}\n`);
});

const ROLES: Record<string, TelemetryRole> = { serve: 'serve', worker: 'worker', stdio: 'stdio' };
const role = ROLES[process.argv[2] ?? ''];
if (role === 'stdio') {
  // The client's `initialize` is answered before the rest loads; one turn of
  // the event loop reads one already sent before loading keeps the thread busy.
  (await import('src/mcp/transports/stdio-handshake.js')).StdioHandshake.forProcess();
  await new Promise((resolve) => setImmediate(resolve));
}
if (role !== undefined) {
  const { ConfigError, loadConfig } = await import('src/config/config.loader.js');
  const { startTelemetry, wouldExport } = await import('src/platform/telemetry/telemetry.js');
  try {
    const config = loadConfig();
    if (wouldExport(config, role)) await startTelemetry(config, role);
  } catch (error) {
    // The command reports invalid settings itself, naming each one.
    if (!(error instanceof ConfigError)) throw error;
  }
}
await import('src/cli.js');
