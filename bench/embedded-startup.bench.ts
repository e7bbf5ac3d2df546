// Start-up of `baton stdio` as agents spawn it: time from spawn to the
// `initialize` answer and to the first `tools/list` answer (`baton stdio`
// answers `initialize` before its application is up; `tools/list` waits for
// it), and the process's RSS once idle, in four situations:
// the embedded PostgreSQL created on first start, started again (its server
// stopped), joined (another Baton process keeps it running), and the
// service-backed mode (DATABASE_URL and REDIS_URL). Run: npm run bench:embedded-startup
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import pg from 'pg';

const MAIN = resolve('dist/main.js');
const REPS = Number(process.env.BENCH_STARTUP_REPS ?? 3);
const IDLE_MS = 3_000;
const ADMIN_URL = process.env.BATON_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BATON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Sample {
  initializeMs: number;
  toolsMs: number;
  rssMiB: number;
}

async function spawnStdio(env: Record<string, string>): Promise<{ client: Client; sample: Sample }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [MAIN, 'stdio'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), BATON_LOG_LEVEL: 'warn', ...env }, stderr: 'ignore' });
  // The raw client: listing tools first (connectMcpClient) would be counted as start-up.
  // eslint-disable-next-line no-restricted-syntax
  const client = new Client({ name: 'bench-startup', version: '1.0.0' });
  const started = performance.now();
  await client.connect(transport, { timeout: 120_000 });
  const initializeMs = performance.now() - started;
  // As agents do, right after initialize.
  await client.listTools();
  const toolsMs = performance.now() - started;
  await sleep(IDLE_MS);
  const status = readFileSync(`/proc/${transport.pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return { client, sample: { initializeMs, toolsMs, rssMiB: rssKiB / 1024 } };
}

async function waitStopped(home: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (existsSync(join(home, 'server.json'))) {
    if (Date.now() > deadline) throw new Error(`the embedded server of ${home} did not stop`);
    await sleep(100);
  }
}

function spread(values: number[]): string {
  const ms = [...values].sort((a, b) => a - b);
  return `median ${Math.round(ms[Math.floor(ms.length / 2)] as number)} ms (min ${Math.round(ms[0] as number)}, max ${Math.round(ms.at(-1) as number)})`;
}

function summary(samples: Sample[]): string {
  const rss = samples.map((s) => s.rssMiB);
  return `initialize ${spread(samples.map((s) => s.initializeMs))}; tools/list ${spread(samples.map((s) => s.toolsMs))}; idle RSS ${Math.round(Math.min(...rss))}-${Math.round(Math.max(...rss))} MiB`;
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'baton-startup-'));
  execFileSync('chmod', ['711', scratch]);
  const results: Record<string, Sample[]> = { 'embedded, first start (creates the data directory)': [], 'embedded, later start (server stopped)': [], 'embedded, joining a running server': [], 'service-backed (DATABASE_URL, REDIS_URL)': [] };
  const [first, later, join_, service] = Object.values(results) as Sample[][];
  const database = `baton_bench_startup_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const serviceUrl = new URL(ADMIN_URL);
  serviceUrl.pathname = `/${database}`;
  execFileSync(process.execPath, [MAIN, 'migrate'], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: serviceUrl.toString(), BATON_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  try {
    for (let rep = 0; rep < REPS; rep++) {
      const home = join(scratch, `home-${rep}`);
      const env = { BATON_HOME: home, BATON_EMBEDDED_IDLE_SECONDS: '1' };
      const created = await spawnStdio(env);
      first?.push(created.sample);
      await created.client.close();
      await waitStopped(home);
      const restarted = await spawnStdio(env);
      later?.push(restarted.sample);
      // The restarted process keeps the server up while another one joins.
      const joined = await spawnStdio(env);
      join_?.push(joined.sample);
      await Promise.all([restarted.client.close(), joined.client.close()]);
      await waitStopped(home);
      const backed = await spawnStdio({ DATABASE_URL: serviceUrl.toString(), REDIS_URL, BATON_REDIS_PREFIX: `bench-startup-${rep}` });
      service?.push(backed.sample);
      await backed.client.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    rmSync(scratch, { recursive: true, force: true });
  }
  const rows = Object.entries(results).map(([situation, samples]) => `| ${situation} | ${summary(samples)} |`);
  process.stdout.write(`\n| \`baton stdio\` start (${REPS} runs each, ${IDLE_MS / 1000} s idle before RSS) | result |\n| --- | --- |\n${rows.join('\n')}\n`);
  writeFileSync(resolve('bench/results/embedded-startup.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), reps: REPS, results }, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
