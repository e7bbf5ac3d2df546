import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { PrismaClient } from 'src/platform/database/generated/client.js';
import { poolConfig } from 'src/platform/database/pool-config.js';
import { PreparedStatements } from 'src/platform/database/prepared-statements.js';

const CONNECTION_TIMEOUT_MS = 10_000;

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  // The hot path's statements, on the pool behind Prisma's driver adapter.
  readonly prepared: PreparedStatements;

  constructor(@Inject(BATON_CONFIG) config: BatonConfig) {
    // main.ts resolves the embedded database's URL before the application starts.
    if (config.database.url === undefined) throw new Error('No database URL: set DATABASE_URL, or start Baton through its CLI, which runs the embedded PostgreSQL');
    // A connection that cannot be had within the timeout (PostgreSQL silent,
    // or every pooled connection busy that long) fails the call as
    // UNAVAILABLE instead of holding it forever.
    const pool = new pg.Pool(poolConfig(config.database.url, { max: config.database.poolSize, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS }));
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    this.prepared = new PreparedStatements(pool);
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
