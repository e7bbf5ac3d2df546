#!/usr/bin/env node
// Holds the embedded PostgreSQL of BATON_HOME (argument 1) open and prints
// its admin URL, so the benchmarks that take BATON_BENCH_DATABASE_URL run
// against it: `node bench/embedded-server.mjs /tmp/bench-home` (after
// `npm run build`), then e.g.
//   BATON_BENCH_DATABASE_URL=<printed URL> npm run bench:handoffs
// Stops (and lets the server stop) on SIGINT or SIGTERM.
import { openEmbeddedDatabase } from '../dist/platform/embedded/embedded-database.js';

const home = process.argv[2];
if (!home) {
  process.stderr.write('usage: node bench/embedded-server.mjs <BATON_HOME>\n');
  process.exit(2);
}
const database = await openEmbeddedDatabase({ home, idleSeconds: 2, role: 'bench' });
const admin = new URL(database.url);
admin.pathname = '/postgres';
process.stdout.write(`${admin.toString()}\n`);
const stop = () => database.close().finally(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// Keep the process (and its lease) alive until a signal arrives.
process.stdin.resume();
