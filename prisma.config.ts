import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI (generate, and migrate where its engine is available).
// Baton itself reads DATABASE_URL through src/config.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/baton' },
});
