import { errorChain, isSocketFailure } from 'src/platform/errors/error-chain.js';

// What ioredis (and BullMQ on top of it) throw while the server is away.
const OUTAGE_MESSAGES = [/^Connection is closed/, /max retries per request/i, /enableOfflineQueue options is false/, /^Command timed out/];

// A Redis command that failed because Redis cannot be reached, not because
// of the command.
export function isRedisOutage(error: unknown): boolean {
  return isSocketFailure(error) || errorChain(error).some((link) => typeof link.message === 'string' && OUTAGE_MESSAGES.some((pattern) => pattern.test(link.message as string)));
}
