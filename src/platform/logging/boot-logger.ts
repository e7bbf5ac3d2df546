import pino from 'pino';

import type { BatonConfig } from 'src/config/config.schema.js';

export function loggerOptions(config: BatonConfig): pino.LoggerOptions {
  return { level: config.log.level, base: { service: 'baton' } };
}

export function stderrDestination(sync = false): pino.DestinationStream {
  return pino.destination({ fd: 2, sync });
}

// The same JSON lines before the application exists (start-up checks in the
// CLI), without loading Nest. Written synchronously: the process may exit
// right after.
export function createBootLogger(config: BatonConfig): pino.Logger {
  return pino(loggerOptions(config), stderrDestination(true));
}
