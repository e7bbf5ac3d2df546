import { errorChain, isSocketFailure } from 'src/platform/errors/error-chain.js';

// PostgreSQL SQLSTATE codes that repositories react to.
export const PG_UNIQUE_VIOLATION = '23505';

// Prisma wraps driver errors; the SQLSTATE sits at different depths depending
// on whether the query was raw or built by the client.
export function isUniqueViolation(error: unknown): boolean {
  return errorChain(error).some(
    (link) => link.code === 'P2002' || link.code === PG_UNIQUE_VIOLATION || link.originalCode === PG_UNIQUE_VIOLATION || (typeof link.message === 'string' && link.message.includes(PG_UNIQUE_VIOLATION)),
  );
}

// SQLSTATEs of a server that is going away or cannot take the connection:
// class 08 (connection exception), 57P01-57P03 (admin or crash shutdown,
// cannot connect now), 53300 (too many connections).
const OUTAGE_SQLSTATES = /^(08\d{3}|57P0[123]|53300)$/;

// Prisma's own codes for the same: server unreachable, timed out, closed the
// connection; no pool connection in time.
const OUTAGE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024']);

// The driver adapter's kinds for them.
const OUTAGE_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

// What pg and pg-pool throw without a code when a connection dies or none
// can be had in time.
const OUTAGE_MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/, /Client has encountered a connection error and is not queryable/];

// 53100 disk_full (and 53000, the class's generic code PostgreSQL also uses
// for a full disk): nothing was written; the call succeeds once space is freed.
const DISK_FULL_SQLSTATES = /^53[01]00$/;

export function isDatabaseDiskFull(error: unknown): boolean {
  return errorChain(error).some((link) => {
    const code = typeof link.code === 'string' ? link.code : typeof link.originalCode === 'string' ? link.originalCode : undefined;
    return (code !== undefined && DISK_FULL_SQLSTATES.test(code)) || (typeof link.message === 'string' && /No space left on device/.test(link.message));
  });
}

// A query that failed because PostgreSQL could not be reached or dropped the
// connection, not because of the query: the same call may succeed later.
export function isDatabaseOutage(error: unknown): boolean {
  if (isSocketFailure(error)) return true;
  return errorChain(error).some((link) => {
    const code = typeof link.code === 'string' ? link.code : typeof link.originalCode === 'string' ? link.originalCode : undefined;
    if (code !== undefined && (OUTAGE_SQLSTATES.test(code) || OUTAGE_PRISMA_CODES.has(code))) return true;
    if (typeof link.kind === 'string' && OUTAGE_ADAPTER_KINDS.has(link.kind)) return true;
    return typeof link.message === 'string' && OUTAGE_MESSAGES.some((pattern) => pattern.test(link.message as string));
  });
}
