// request_handoff across session lengths (issue #12, goal 1: the cost
// follows what is current, not how long the session is), through the whole
// path: MCP client -> Streamable HTTP -> `baton serve` (a child process,
// built from dist/) -> PostgreSQL and Redis. Each session is seeded with SQL
// (the three quality transcripts repeated, refs shifted, token counts from
// Baton's tokenizer) so 100,000 entries take seconds; its first request then
// builds the stored ledger state from every entry (the one-time backfill,
// reported apart). Cold runs append one entry before each request, so every
// package is built (the cache key names the last sequence); warm runs repeat
// a request. Results replace the handoffs section of docs/benchmarks.md.
//   npm run bench:handoffs   (BENCH_SIZES, BENCH_BUDGET, BENCH_ITERATIONS, BATON_BENCH_DATABASE_URL, BATON_BENCH_REDIS_URL)
//   npm run bench:handoffs -- --skip-docs   a trial run: the docs are left as they are
//   npm run bench:handoffs -- --profile     also a V8 CPU profile of the server in bench/.cache/profiles
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pg from 'pg';

import { benchFlags, runBench, writeDocSection } from 'bench/support/bench-doc.js';
import { freePort } from 'bench/support/server-process.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

import { countTextTokens } from 'src/platform/tokens/token-counter.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,5000,20000,100000').split(',').map(Number);
const BUDGET = Number(process.env.BENCH_BUDGET ?? 4_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 100);
const WARMUP = 10;
const FLAGS = benchFlags();
const TARGET = { p95At20k: 60, p95At100k: 100, ratio: 2 };
const ADMIN_URL = process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DOC = resolve('docs/benchmarks.md');
const START = '<!-- handoffs-bench:start -->';
const END = '<!-- handoffs-bench:end -->';

interface Entry {
  type: string;
  content: string;
  metadata?: Record<string, unknown>;
}

interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) as number, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

// The three quality transcripts, repeated with their refs shifted, up to
// `size` entries: realistic content, todos closed, decisions superseded.
function ledger(size: number): Entry[] {
  const transcripts = ['bug-hunt', 'feature', 'refactor'].map((name) =>
    readFileSync(resolve(`test/fixtures/transcripts/${name}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Entry),
  );
  const out: Entry[] = [];
  for (let round = 0; out.length < size; round++) {
    const transcript = transcripts[round % transcripts.length] as Entry[];
    const offset = out.length;
    for (const entry of transcript) {
      if (out.length >= size) break;
      const refs = Array.isArray(entry.metadata?.refs) ? (entry.metadata.refs as number[]).map((r) => r + offset) : undefined;
      out.push({ ...entry, ...(entry.metadata ? { metadata: { ...entry.metadata, ...(refs ? { refs } : {}) } } : {}) });
    }
  }
  return out;
}

function run(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [resolve('dist/main.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`baton ${args.join(' ')} exited with ${code}`))));
  });
}

async function startBaton(env: Record<string, string>): Promise<{ child: ChildProcess; url: URL }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...FLAGS.profileArgs, resolve('dist/main.js'), 'serve', '--host', '127.0.0.1', '--port', String(port)], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`baton serve exited with ${child.exitCode}`);
    const ready = await fetch(new URL('/health/ready', url)).then((r) => r.ok).catch(() => false);
    if (ready) return { child, url };
    await sleep(100);
  }
  throw new Error('baton serve did not become ready in 30 s');
}

let ticksPerSecond: number | undefined;

// CPU time (user + system) the process has used, in ms; null off Linux.
// Unlike latency it does not grow when other work competes for the cores.
function cpuMs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}

async function call<T>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

interface SizeResult {
  entries: number;
  openTodos: number;
  decisionsInForce: number;
  firstMs: number;
  cold: Summary;
  warm: Summary;
  cpu: { cold: number | null; warm: number | null };
  maxTokens: number;
}

// Entries written straight into the table, as update_context would have
// written them (sequences 1..n, token counts from the same tokenizer).
async function seed(db: pg.Client, sessionKey: string, entries: Entry[]): Promise<void> {
  const start = Date.UTC(2026, 10, 1);
  const { rows } = await db.query<{ id: string }>('SELECT id FROM sessions WHERE session_key = $1', [sessionKey]);
  const sessionId = rows[0]?.id as string;
  for (let from = 0; from < entries.length; from += 5_000) {
    const batch = entries.slice(from, from + 5_000);
    await db.query(
      `INSERT INTO context_entries (id, session_id, sequence, type, content, metadata, token_count, content_hash, created_at)
       SELECT gen_random_uuid(), $1::uuid, s, t::entry_type, c, m::jsonb, n, h, to_timestamp(a / 1000.0)
       FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::float8[]) AS u(s, t, c, m, n, h, a)`,
      [
        sessionId,
        batch.map((_, i) => from + i + 1),
        batch.map((e) => e.type),
        batch.map((e) => e.content),
        batch.map((e) => JSON.stringify(e.metadata ?? {})),
        batch.map((e) => countTextTokens(e.content)),
        batch.map((e) => createHash('sha256').update(e.content).digest('hex')),
        batch.map((_, i) => start + (from + i) * 1000),
      ],
    );
  }
  await db.query('UPDATE sessions SET last_sequence = $2 WHERE id = $1', [sessionId, entries.length]);
}

async function measureSize(client: Client, db: pg.Client, pid: number | undefined, size: number): Promise<SizeResult> {
  const { sessionKey } = await call<{ sessionKey: string }>(client, 'register_session', { agentId: 'bench-agent', title: `Benchmark: ${size}-entry session`, repository: { branch: 'main', commit: 'a1b2c3d4e5f6' } });
  process.stderr.write(`seeding ${size} entries...\n`);
  await seed(db, sessionKey, ledger(size));
  const request = () =>
    call<{ packageTokens: number; package: { state: { counts: { openTodos: number; decisionsInForce: number } } } }>(client, 'request_handoff', { sessionKey, targetAgent: 'codex@bench', type: 'context_transfer', tokenBudget: BUDGET });
  const t0 = performance.now();
  const first = await request();
  const firstMs = performance.now() - t0;
  let appended = 0;
  const cold = async (): Promise<{ ms: number; tokens: number }> => {
    await call(client, 'update_context', { sessionKey, type: 'note', content: `benchmark note ${++appended}: ran the suite again, 412 passed` });
    const started = performance.now();
    const { packageTokens } = await request();
    return { ms: performance.now() - started, tokens: packageTokens };
  };
  for (let i = 0; i < WARMUP; i++) await cold();
  const coldSamples: number[] = [];
  let maxTokens = 0;
  // The cold phase's CPU includes the appends; they are measured apart below.
  const cpuCold0 = cpuMs(pid);
  for (let i = 0; i < ITERATIONS; i++) {
    const { ms, tokens } = await cold();
    coldSamples.push(ms);
    maxTokens = Math.max(maxTokens, tokens);
  }
  const cpuCold = cpuCold0 === null ? null : ((cpuMs(pid) as number) - cpuCold0) / ITERATIONS;
  const cpuAppend0 = cpuMs(pid);
  for (let i = 0; i < ITERATIONS; i++) await call(client, 'update_context', { sessionKey, type: 'note', content: `benchmark note ${++appended}: ran the suite again, 412 passed` });
  const cpuAppend = cpuAppend0 === null ? null : ((cpuMs(pid) as number) - cpuAppend0) / ITERATIONS;
  await request();
  const warmSamples: number[] = [];
  const cpuWarm0 = cpuMs(pid);
  for (let i = 0; i < ITERATIONS; i++) {
    const started = performance.now();
    await request();
    warmSamples.push(performance.now() - started);
  }
  const cpuWarm = cpuWarm0 === null ? null : ((cpuMs(pid) as number) - cpuWarm0) / ITERATIONS;
  const counts = first.package.state.counts;
  return {
    entries: size,
    openTodos: counts.openTodos,
    decisionsInForce: counts.decisionsInForce,
    firstMs,
    cold: summarize(coldSamples),
    warm: summarize(warmSamples),
    // Baton's own CPU per request_handoff (cold minus the append before it).
    cpu: { cold: cpuCold !== null && cpuAppend !== null ? cpuCold - cpuAppend : null, warm: cpuWarm },
    maxTokens,
  };
}

async function main(): Promise<void> {
  if (!existsSync('dist/main.js')) throw new Error('dist/ is missing: run `npm run build` first');
  const name = `baton_bench_handoffs_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${name}`;
  const env = { DATABASE_URL: dbUrl.toString(), REDIS_URL, BATON_REDIS_PREFIX: `baton-bench-${name}`, BATON_LOG_LEVEL: 'warn', BATON_WORKERS_IN_SERVE: 'false' };
  await run(['migrate'], env);
  const baton = await startBaton(env);
  const db = new pg.Client({ connectionString: dbUrl.toString() });
  await db.connect();
  let client: Client | undefined;
  try {
    client = await connectMcpClient(new StreamableHTTPClientTransport(baton.url), 'bench-handoffs');
    const loadBefore = loadavg()[0] as number;
    const sizes: SizeResult[] = [];
    for (const size of SIZES) {
      const result = await measureSize(client, db, baton.child.pid, size);
      process.stderr.write(`${JSON.stringify(result)}\n`);
      sizes.push(result);
    }
    const versions = await serverVersions(dbUrl.toString());
    if (FLAGS.writeDocs) writeDoc({ sizes, load: [loadBefore, loadavg()[0] as number] }, versions);
  } finally {
    await client?.close().catch(() => undefined);
    await db.end();
    baton.child.kill('SIGTERM');
    await new Promise((r) => baton.child.once('exit', r));
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    await dropRedisKeys(env.BATON_REDIS_PREFIX);
  }
}

// The run's cache entries and its never-run expiry jobs, all under its own
// prefix; the helper is the one the e2e teardown uses.
async function dropRedisKeys(prefix: string): Promise<void> {
  const helper = (await import(pathToFileURL(resolve('test/support/redis-keys.mjs')).href)) as { dropRedisKeys(url: string, prefix: string): Promise<void> };
  await helper.dropRedisKeys(REDIS_URL, `${prefix}:`);
}

async function serverVersions(url: string): Promise<{ postgres: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return { postgres: (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? 'unknown' };
  } finally {
    await client.end();
  }
}

function writeDoc(results: { sizes: SizeResult[]; load: [number, number] }, versions: { postgres: string }): void {
  const ms = (n: number) => n.toFixed(1);
  const bySize = new Map(results.sizes.map((r) => [r.entries, r]));
  const smallest = results.sizes[0];
  const largest = results.sizes.at(-1);
  const ratio = smallest && largest ? largest.cold.p50 / smallest.cold.p50 : Number.NaN;
  const verdicts = [
    bySize.has(20_000) ? `cold p95 at 20,000 entries ${ms((bySize.get(20_000) as SizeResult).cold.p95)} ms (target <= ${TARGET.p95At20k}): ${(bySize.get(20_000) as SizeResult).cold.p95 <= TARGET.p95At20k ? 'meets' : 'MISSES'}` : '',
    bySize.has(100_000) ? `cold p95 at 100,000 entries ${ms((bySize.get(100_000) as SizeResult).cold.p95)} ms (target <= ${TARGET.p95At100k}): ${(bySize.get(100_000) as SizeResult).cold.p95 <= TARGET.p95At100k ? 'meets' : 'MISSES'}` : '',
    smallest && largest ? `p50(${largest.entries}) / p50(${smallest.entries}) = ${ratio.toFixed(2)} (target <= ${TARGET.ratio}): ${ratio <= TARGET.ratio ? 'meets' : 'MISSES'}` : '',
  ].filter(Boolean);
  const section = [
    '## request_handoff across session lengths (handoffs)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:handoffs\`: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${versions.postgres}; 1-minute load average ${results.load[0].toFixed(1)} before and ${results.load[1].toFixed(1)} after the measured runs (the machine is shared: a load above the core count inflates every figure).`,
    `One MCP client over Streamable HTTP calls \`request_handoff\` (context_transfer, \`tokenBudget\` ${BUDGET}) on sessions of ${results.sizes.map((r) => r.entries).join(', ')} entries (the three quality transcripts repeated, refs shifted, seeded with SQL), served by \`baton serve\` as a child process.`,
    `First: the first request on the freshly seeded session, which builds the stored ledger state from every entry (what the backfill does once per existing session). Cold: one entry is appended before every request, so each package is built (cache miss) from the stored state plus the entries since. Warm: the same request repeated (cache hit). ${ITERATIONS} requests each after ${WARMUP} warm-up requests.`,
    '',
    'Baton CPU is the `baton serve` process\'s user + system time per request (PostgreSQL\'s is not included); unlike latency it does not grow when other work competes for the cores.',
    '',
    '| entries | open todos / decisions in force | first ms | cold p50 ms | cold p95 ms | cold p99 ms | cold Baton CPU ms | warm p50 ms | warm p95 ms | largest package (tokens) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.sizes.map(
      (r) =>
        `| ${r.entries} | ${r.openTodos} / ${r.decisionsInForce} | ${ms(r.firstMs)} | ${ms(r.cold.p50)} | ${ms(r.cold.p95)} | ${ms(r.cold.p99)} | ${r.cpu.cold === null ? 'n/a' : ms(r.cpu.cold)} | ${ms(r.warm.p50)} | ${ms(r.warm.p95)} | ${r.maxTokens} |`,
    ),
    '',
    ...verdicts.map((v) => `- ${v}`),
  ].join('\n');
  writeDocSection(DOC, START, END, section);
}

runBench(main);
