import type pg from 'pg';

// Named prepared statements sent straight through a pg pool: parsed and
// planned once per connection, then reused, and without Prisma's per-query
// work (about a fifth of an update_context's CPU). For the statements of the
// hot path, and the start-up checks that must not load Prisma's query
// compiler, so the set per connection stays small and fixed. A plain
// object, not reached through the Prisma client's proxy on every call.
export class PreparedStatements {
  constructor(private readonly pool: pg.Pool) {}

  // `text` uses $1, $2, ...; values are sent as pg sends them (null as NULL).
  async run<Row>(name: string, text: string, values: readonly unknown[]): Promise<Row[]> {
    const result = await this.pool.query<Row & pg.QueryResultRow>({ name, text, values: values as unknown[] });
    return result.rows;
  }
}
