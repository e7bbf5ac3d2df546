// A problem with the embedded PostgreSQL that the user has to fix; the
// message says what happened and what to do. Nothing in BATON_HOME was lost.
export class EmbeddedDatabaseError extends Error {
  override name = 'EmbeddedDatabaseError';
}
