import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { PrismaClient } from 'src/platform/database/generated/client.js';

// A raw statement that begins with `/* prepared:NAME */` becomes a named
// prepared statement: parsed and planned once per connection, then reused.
// Parsing and planning the append cost PostgreSQL more CPU than running it
// (docs/benchmarks.md). Opt-in keeps the set per connection small and fixed;
// every other query stays unnamed ('' is the unnamed statement).
const PREPARED_TAG = /^\/\* prepared:([a-z_]+) \*\//;

const CONNECTION_TIMEOUT_MS = 10_000;

function preparedStatementName(sql: string): string {
  return PREPARED_TAG.exec(sql)?.[1] ?? '';
}

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(BATON_CONFIG) config: BatonConfig) {
    // main.ts resolves the embedded database's URL before the application starts.
    if (config.database.url === undefined) throw new Error('No database URL: set DATABASE_URL, or start Baton through its CLI, which runs the embedded PostgreSQL');
    super({
      // A connection that cannot be had within the timeout (PostgreSQL silent,
      // or every pooled connection busy that long) fails the call as
      // UNAVAILABLE instead of holding it forever.
      adapter: new PrismaPg({ connectionString: config.database.url, max: config.database.poolSize, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS }, { statementNameGenerator: (query) => preparedStatementName(query.sql) }),
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
