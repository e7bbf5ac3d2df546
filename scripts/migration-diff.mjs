#!/usr/bin/env node
// Prints the SQL that takes the database at DATABASE_URL to
// prisma/schema.prisma: the body of the next migration. Typical use, on a
// scratch database: `baton migrate`, edit schema.prisma, then
//   npm run migration:diff > prisma/migrations/<timestamp>_<name>/migration.sql
import { openSchemaEngine } from './prisma-schema-engine.mjs';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write('Set DATABASE_URL to a database migrated to the current migrations.\n');
  process.exit(2);
}
const engine = await openSchemaEngine(databaseUrl);
try {
  const sql = await engine.diffDatabaseToSchema();
  if (sql === '') process.stderr.write('No difference: the database already matches prisma/schema.prisma.\n');
  process.stdout.write(sql);
} finally {
  engine.free();
}
