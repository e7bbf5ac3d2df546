// PostgreSQL SQLSTATE codes that repositories react to.
export const PG_UNIQUE_VIOLATION = '23505';

// Prisma wraps driver errors; the SQLSTATE sits at different depths depending
// on whether the query was raw or built by the client.
export function isUniqueViolation(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const record = current as Record<string, unknown>;
    if (record.code === 'P2002' || record.code === PG_UNIQUE_VIOLATION || record.originalCode === PG_UNIQUE_VIOLATION) return true;
    if (typeof record.message === 'string' && record.message.includes('23505')) return true;
    current = record.cause ?? record.meta;
  }
  return false;
}
