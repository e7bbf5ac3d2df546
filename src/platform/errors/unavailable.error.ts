import { isDatabaseDiskFull, isDatabaseOutage } from 'src/platform/database/pg-errors.js';
import { DomainError } from 'src/platform/errors/domain-error.js';
import { isRedisOutage } from 'src/platform/redis/redis-errors.js';

export const UNAVAILABLE = 'UNAVAILABLE';

// Seconds a client should wait before retrying a call that met an outage.
export const RETRY_AFTER_SECONDS = 5;

const WHAT_NEEDS_IT = {
  PostgreSQL: 'where Baton keeps sessions, entries and handoffs',
  Redis: 'which carries Baton\'s background jobs and notifications',
} as const;

export type Dependency = keyof typeof WHAT_NEEDS_IT;

// A call failed because a service Baton depends on could not be reached. The
// call itself was fine: the same call may succeed once the service is back.
export class UnavailableError extends DomainError<typeof UNAVAILABLE> {
  constructor(
    readonly dependency: Dependency,
    // What the driver said, in one short line, for the log.
    readonly reason = '',
    readonly condition: 'unreachable' | 'disk_full' = 'unreachable',
  ) {
    super(
      UNAVAILABLE,
      condition === 'disk_full'
        ? `${dependency}, ${WHAT_NEEDS_IT[dependency]}, has run out of disk space, so this call stored nothing. Everything stored before is intact. Free disk space where its data lives (the operator's task; with the embedded database, the disk of BATON_HOME), then retry.`
        : `${dependency}, ${WHAT_NEEDS_IT[dependency]}, cannot be reached right now, so this call did not complete. This is temporary: retry in a few seconds.${dependency === 'PostgreSQL' ? ' A write cut off by the outage may or may not have been stored; retrying update_context with the same idempotencyKey stores it exactly once.' : ''}`,
      { dependency, condition, retryable: true, retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
  }
}

// The outage behind an unexpected error, if it is one. A bare socket error
// is PostgreSQL's: ioredis never hands those to a command, it fails the
// command with one of its own messages.
export function asUnavailable(error: unknown): UnavailableError | undefined {
  if (error instanceof UnavailableError) return error;
  if (isDatabaseDiskFull(error)) return new UnavailableError('PostgreSQL', lastLine(error), 'disk_full');
  if (isDatabaseOutage(error)) return new UnavailableError('PostgreSQL', lastLine(error));
  if (isRedisOutage(error)) return new UnavailableError('Redis', lastLine(error));
  return undefined;
}

// Prisma's messages quote the calling source over many lines; the driver's
// own words come last.
function lastLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n').map((line) => line.trim()).filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 200);
}
