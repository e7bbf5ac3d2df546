import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { PrismaClient } from 'src/platform/database/generated/client.js';

const CONNECTION_TIMEOUT_MS = 10_000;

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  // The pool behind Prisma's driver adapter, shared with prepared().
  private readonly pool: pg.Pool;

  constructor(@Inject(BATON_CONFIG) config: BatonConfig) {
    // main.ts resolves the embedded database's URL before the application starts.
    if (config.database.url === undefined) throw new Error('No database URL: set DATABASE_URL, or start Baton through its CLI, which runs the embedded PostgreSQL');
    // A connection that cannot be had within the timeout (PostgreSQL silent,
    // or every pooled connection busy that long) fails the call as
    // UNAVAILABLE instead of holding it forever.
    const pool = new pg.Pool({ connectionString: config.database.url, max: config.database.poolSize, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    this.pool = pool;
  }

  // A named prepared statement, sent straight through the pool: parsed and
  // planned once per connection, then reused, and without the client's
  // per-query work (about a fifth of an update_context's CPU). For the
  // statements of the hot path only; the set per connection stays small and
  // fixed, and every Prisma query stays unnamed. `text` uses $1, $2, ...;
  // values are sent as pg sends them (a Date as timestamptz, null as NULL).
  async prepared<Row>(name: string, text: string, values: readonly unknown[]): Promise<Row[]> {
    const result = await this.pool.query<Row & pg.QueryResultRow>({ name, text, values: values as unknown[] });
    return result.rows;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
