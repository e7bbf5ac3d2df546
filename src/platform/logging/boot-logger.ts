import pino from 'pino';

import type { BatonConfig } from 'src/config/config.schema.js';
import { requestBindings } from 'src/platform/logging/request-scope.js';

// How log lines reach stderr. `sync`: each line written before the call
// returns, for a process that may exit right after. `async`: each line is a
// write of its own, made in the background. `gathered`: lines are written
// once 4 KiB have gathered, or at most 100 ms after the first of them, and
// on exit; under load `baton serve` writes a request line per request, and a
// system call per line was a tenth of its CPU per MCP call.
export type LogWrites = 'sync' | 'async' | 'gathered';

const GATHERED_BYTES = 4096;
const GATHERED_FLUSH_MS = 100;

export function loggerOptions(config: BatonConfig): pino.LoggerOptions {
  return { level: config.log.level, base: { service: 'baton' }, mixin: requestBindings };
}

export function stderrDestination(writes: LogWrites): pino.DestinationStream {
  if (writes === 'gathered') return pino.destination({ fd: 2, sync: false, minLength: GATHERED_BYTES, periodicFlush: GATHERED_FLUSH_MS });
  return pino.destination({ fd: 2, sync: writes === 'sync' });
}

// The same JSON lines before the application exists (start-up checks in the
// CLI), without loading Nest. Written synchronously: the process may exit
// right after.
export function createBootLogger(config: BatonConfig): pino.Logger {
  return pino(loggerOptions(config), stderrDestination('sync'));
}
