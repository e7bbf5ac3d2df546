// An error and the errors it wraps. Prisma, its driver adapter and the pg
// driver nest the original failure at different depths (cause, meta,
// driverAdapterError, an AggregateError's errors).
export function errorChain(error: unknown, limit = 16): Record<string, unknown>[] {
  const links: Record<string, unknown>[] = [];
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0 && links.length < limit) {
    const current = pending.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const record = current as Record<string, unknown>;
    links.push(record);
    pending.push(record.cause, record.meta, record.driverAdapterError);
    if (Array.isArray(record.errors)) pending.push(...(record.errors as unknown[]));
  }
  return links;
}

// Socket failures of any client: the server is down or cannot be reached.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

export function isSocketFailure(error: unknown): boolean {
  return errorChain(error).some((link) => typeof link.code === 'string' && SOCKET_CODES.has(link.code));
}
