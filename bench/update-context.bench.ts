import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { Redis } from 'ioredis';
import pg from 'pg';

import { REFERENCE_TABLE_SQL } from 'bench/reference/reference-table.js';
import { BatonProcess, migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase, isLoopbackUrl, serverFacts } from 'bench/support/bench-database.js';
import { CpuMeter, type CpuBreakdown } from 'bench/support/cpu-meter.js';
import { ReferenceProcess } from 'bench/support/reference-process.js';
import { closedLoop, openLoop, type LoadResult, type OpenLoopResult, type Operation } from 'bench/support/load-generator.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

export interface UpdateContextOptions {
  readonly adminDatabaseUrl: string;
  readonly redisUrl: string;
  readonly poolSize: number;
  readonly logLevel: string;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly contentBytes: number;
  readonly concurrencies: readonly number[];
  // On a shared machine, how long to wait for other work to calm down first.
  readonly quietWaitMs: number;
  // Extra node options for `baton serve`, e.g. --cpu-prof.
  readonly batonNodeArgs: string[];
  readonly progress: (line: string) => void;
}

// reference: the same tool on the minimal SDK + pg server (bench/reference).
export type BenchPath = 'raw-pg' | 'update_context' | 'reference';

export interface CaseResult extends LoadResult {
  readonly path: BenchPath;
  readonly concurrency: number;
  // 'per-worker': each worker appends to a session of its own; 'hot': all
  // workers append to one session and queue on its row lock.
  readonly sessions: 'per-worker' | 'hot';
  readonly cpu: CpuBreakdown | null;
}

export interface UpdateContextResults {
  readonly benchmark: 'update_context';
  readonly startedAt: string;
  readonly machine: { cpu: string; cores: number; memoryGiB: number; kernel: string };
  readonly versions: { node: string; postgres: string; redis: string };
  readonly durability: Readonly<Record<string, string>>;
  // Share of the cores busy before the run started (other work on the machine).
  readonly backgroundBusy: number | null;
  readonly settings: { poolSize: number; logLevel: string; durationS: number; warmupS: number; contentBytes: number; metadata: Record<string, unknown> };
  readonly cases: CaseResult[];
  readonly halfLoad: (OpenLoopResult & { peakThroughput: number; workers: number; cpu: CpuBreakdown | null }) | null;
  readonly ledgerCheck: { sessions: number; entries: number; gapless: boolean };
}

const METADATA = { files: ['src/features/context/context.service.ts'] };
// Far above any sequence Baton reaches in a run, so raw rows never collide
// with Baton's (session_id, sequence) values.
const RAW_SEQUENCE_BASE = 1_000_000_000;
const RAW_INSERT = `
  INSERT INTO context_entries (id, session_id, sequence, type, content, metadata, token_count, content_hash, idempotency_key, created_at)
  VALUES (gen_random_uuid(), $1, $2, 'decision', $3, $4::jsonb, $5, $6, NULL, now())`;

// update_context through the whole path (MCP client -> Streamable HTTP ->
// Nest -> Prisma -> PostgreSQL, committed durably) beside raw single-row
// INSERTs into the same table, same sessions, same concurrency, same content,
// in one run. See docs/benchmarks.md.
export async function runUpdateContextBench(options: UpdateContextOptions): Promise<UpdateContextResults> {
  for (const url of [options.adminDatabaseUrl, options.redisUrl]) {
    if (!isLoopbackUrl(url)) throw new Error(`${new URL(url).host} is not a loopback address: the benchmark only sends traffic to this machine`);
  }
  const log = options.progress;
  const startedAt = new Date().toISOString();
  const database = benchDatabaseUrl(options.adminDatabaseUrl);
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: options.redisUrl,
    BATON_REDIS_PREFIX: `baton-bench-${randomBytes(4).toString('hex')}`,
    BATON_DB_POOL_SIZE: String(options.poolSize),
    BATON_LOG_LEVEL: options.logLevel,
  };
  mkdirSync('bench/.cache', { recursive: true });
  let baton: BatonProcess | undefined;
  let pool: pg.Pool | undefined;
  let reference: ReferenceProcess | undefined;
  const clients: Client[] = [];
  try {
    log(`creating and migrating ${database.name} (baton migrate)`);
    await migrate(env);
    const facts = await serverFacts(database.url);
    const durability = facts.settings;
    log(`durability: ${Object.entries(durability).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    if (durability.synchronous_commit === 'off' || durability.fsync === 'off') {
      throw new Error('synchronous_commit or fsync is off: commits are not durable, so the figures would not answer issue #2. Turn them on and run again.');
    }

    const backgroundBusy = await waitForQuiet(options.quietWaitMs, log);

    baton = await BatonProcess.start(env, 'bench/.cache/baton-serve.log', options.batonNodeArgs);
    log(`baton serve (pid ${baton.pid}) on ${baton.url.href}, log in bench/.cache/baton-serve.log`);
    const workers = Math.max(...options.concurrencies);
    // Each worker is one agent: its own MCP client, MCP session and Baton session.
    for (let i = 0; i < workers; i++) clients.push(await connect(baton.url, `bench-agent-${i}`));
    const sessionKeys = await Promise.all(clients.map((client, i) => registerSession(client, `bench-${i}`)));
    const hotKey = await registerSession(clients[0] as Client, 'bench-hot');

    pool = new pg.Pool({ connectionString: database.url, max: options.poolSize, application_name: 'baton-bench-raw' });
    const ids = await sessionIds(pool, [...sessionKeys, hotKey]);
    const content = sampleContent(options.contentBytes);
    const rawValues = { metadata: JSON.stringify(METADATA), tokens: countTokens(content), hash: createHash('sha256').update(content).digest('hex') };
    const rawSequence = new Map<string, number>();
    const rawPool = pool;
    const rawInsert = (key: string): Promise<boolean> => {
      const sequence = (rawSequence.get(key) ?? RAW_SEQUENCE_BASE) + 1;
      rawSequence.set(key, sequence);
      return rawPool.query(RAW_INSERT, [ids.get(key), sequence, content, rawValues.metadata, rawValues.tokens, rawValues.hash]).then(() => true);
    };
    const append = (client: Client, key: string): Promise<boolean> =>
      client.callTool({ name: 'update_context', arguments: { sessionKey: key, type: 'decision', content, metadata: METADATA } }).then((r) => r.isError !== true);

    await pool.query(REFERENCE_TABLE_SQL);
    reference = await ReferenceProcess.start(database.url);
    log(`reference server (pid ${reference.pid}) on ${reference.url.href}`);
    const referenceClients: Client[] = [];
    for (let i = 0; i < workers; i++) referenceClients.push(await connect(reference.url, `bench-reference-${i}`));
    clients.push(...referenceClients);
    const referenceAppend = (client: Client, key: string): Promise<boolean> =>
      client.callTool({ name: 'update_context', arguments: { sessionKey: key, type: 'decision', content } }).then((r) => r.isError !== true);

    const paths: Record<BenchPath, { perWorker: Operation; hot: Operation }> = {
      'raw-pg': { perWorker: (w) => rawInsert(sessionKeys[w] as string), hot: () => rawInsert(hotKey) },
      update_context: { perWorker: (w) => append(clients[w] as Client, sessionKeys[w] as string), hot: (w) => append(clients[w] as Client, hotKey) },
      reference: { perWorker: (w) => referenceAppend(referenceClients[w] as Client, sessionKeys[w] as string), hot: (w) => referenceAppend(referenceClients[w] as Client, hotKey) },
    };
    // The server column is Baton's process, or the reference server's in its cases.
    let server = baton.pid;
    const referencePid = reference.pid;
    const meter = new CpuMeter(process.pid, () => server, () => ourPostgresPids(rawPool));
    const cases: CaseResult[] = [];
    const batonPid = baton.pid;
    const measure = async (path: BenchPath, concurrency: number, sessions: 'per-worker' | 'hot'): Promise<void> => {
      server = path === 'reference' ? referencePid : batonPid;
      const operation = sessions === 'hot' ? paths[path].hot : paths[path].perWorker;
      // The warm-up runs first, outside the CPU window.
      if (options.warmupMs > 0) await closedLoop(operation, concurrency, options.warmupMs);
      const before = await meter.sample();
      const result = await closedLoop(operation, concurrency, options.durationMs);
      const cpu = meter.between(before, await meter.sample(), result.ops);
      cases.push({ path, concurrency, sessions, ...result, cpu });
      log(`${path.padEnd(14)} c=${String(concurrency).padEnd(2)} ${sessions.padEnd(10)} ${result.throughput.toFixed(0).padStart(6)} ops/s  p50 ${ms(result.latencyMs.p50)}  p95 ${ms(result.latencyMs.p95)}  p99 ${ms(result.latencyMs.p99)}  errors ${result.errors}${othersNote(cpu)}`);
    };
    // Raw and full path back to back at each level, so both see the same
    // machine state (table size, checkpoints) as far as possible.
    for (const concurrency of options.concurrencies) {
      await measure('raw-pg', concurrency, 'per-worker');
      await measure('update_context', concurrency, 'per-worker');
      await measure('reference', concurrency, 'per-worker');
    }
    await measure('raw-pg', workers, 'hot');
    await measure('update_context', workers, 'hot');

    const peak = Math.max(...cases.filter((c) => c.path === 'update_context' && c.sessions === 'per-worker').map((c) => c.throughput));
    const rate = Math.max(1, Math.round(peak / 2));
    log(`open loop at ${rate} ops/s (half of the ${peak.toFixed(0)} ops/s peak), ${workers} agents`);
    server = batonPid;
    const before = await meter.sample();
    const half = await openLoop(paths.update_context.perWorker, rate, workers, options.durationMs);
    const halfLoad = { ...half, peakThroughput: peak, workers, cpu: meter.between(before, await meter.sample(), half.ops) };
    log(`open loop achieved ${half.throughput.toFixed(0)} ops/s  p50 ${ms(half.latencyMs.p50)}  p95 ${ms(half.latencyMs.p95)}  p99 ${ms(half.latencyMs.p99)}  errors ${half.errors}  max outstanding ${half.maxOutstanding}${othersNote(halfLoad.cpu)}`);

    const ledgerCheck = await checkLedger(pool, [...ids.values()]);
    const cpu = cpus();
    return {
      benchmark: 'update_context',
      startedAt,
      machine: { cpu: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length, memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release() },
      versions: { node: process.version, postgres: facts.version, redis: await redisVersion(options.redisUrl) },
      durability,
      backgroundBusy,
      settings: { poolSize: options.poolSize, logLevel: options.logLevel, durationS: options.durationMs / 1000, warmupS: options.warmupMs / 1000, contentBytes: options.contentBytes, metadata: METADATA },
      cases,
      halfLoad,
      ledgerCheck,
    };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await pool?.end();
    await baton?.stop();
    await reference?.stop();
    await dropDatabase(options.adminDatabaseUrl, database.name).catch((error: Error) => log(`could not drop ${database.name}: ${error.message}`));
    log(`dropped ${database.name}`);
  }
}

// Waits, at most `limitMs`, for processes outside the benchmark to keep less
// than 10% of the cores busy over a second; returns the last share seen.
async function waitForQuiet(limitMs: number, log: (line: string) => void): Promise<number | null> {
  const meter = new CpuMeter(process.pid, () => undefined);
  const deadline = Date.now() + limitMs;
  let busy: number | null;
  do {
    const before = await meter.sample();
    await sleep(1000);
    busy = meter.between(before, await meter.sample(), 1)?.othersBusy ?? null;
  } while (busy !== null && busy >= 0.1 && Date.now() < deadline);
  if (busy !== null) log(`background load before the run: ${(busy * 100).toFixed(0)}% of the cores${busy >= 0.1 ? ` (still busy after waiting ${limitMs / 1000} s)` : ''}`);
  return busy;
}

function connect(url: URL, name: string): Promise<Client> {
  return connectMcpClient(new StreamableHTTPClientTransport(url), name);
}

async function registerSession(client: Client, prefix: string): Promise<string> {
  const sessionKey = `${prefix}-${randomBytes(4).toString('hex')}`;
  const result = await client.callTool({ name: 'register_session', arguments: { sessionKey, agentId: 'baton-bench', title: 'update_context benchmark' } });
  if (result.isError) throw new Error(`register_session failed: ${JSON.stringify(result.structuredContent)}`);
  return sessionKey;
}

// The benchmark database's backends plus the server's background processes
// (WAL writer, checkpointer, ...), which have no database.
async function ourPostgresPids(pool: pg.Pool): Promise<ReadonlySet<number>> {
  const rows = (await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL')).rows;
  return new Set(rows.map((r) => r.pid));
}

async function sessionIds(pool: pg.Pool, keys: string[]): Promise<Map<string, string>> {
  const rows = (await pool.query<{ id: string; session_key: string }>('SELECT id, session_key FROM sessions WHERE session_key = ANY($1)', [keys])).rows;
  return new Map(rows.map((r) => [r.session_key, r.id]));
}

// Every Baton-written sequence of every session is 1..n with no gap: the
// appends the benchmark counted really landed, in order.
async function checkLedger(pool: pg.Pool, ids: string[]): Promise<{ sessions: number; entries: number; gapless: boolean }> {
  const rows = (
    await pool.query<{ n: string; top: number | null; last: number }>(
      `SELECT count(e.id) AS n, max(e.sequence) AS top, s.last_sequence AS last
       FROM sessions s LEFT JOIN context_entries e ON e.session_id = s.id AND e.sequence < $2
       WHERE s.id = ANY($1) GROUP BY s.id`,
      [ids, RAW_SEQUENCE_BASE],
    )
  ).rows;
  const entries = rows.reduce((sum, r) => sum + Number(r.n), 0);
  const gapless = rows.every((r) => Number(r.n) === r.last && (r.top ?? 0) === r.last);
  return { sessions: rows.length, entries, gapless };
}

async function redisVersion(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  } finally {
    redis.disconnect();
  }
}

// Prose of the given size in bytes, like an agent's decision entry.
function sampleContent(bytes: number): string {
  const sentence =
    'Decided to keep the append as one SQL statement: it locks the session row, takes the next sequence and inserts the entry, so sequences stay gapless under concurrent writers. ';
  return sentence.repeat(Math.ceil(bytes / sentence.length)).slice(0, bytes);
}

function othersNote(cpu: CpuBreakdown | null): string {
  return cpu && cpu.othersBusy >= 0.05 ? `  (other processes kept ${(cpu.othersBusy * 100).toFixed(0)}% of the cores busy)` : '';
}

function ms(value: number): string {
  return `${value.toFixed(2).padStart(7)} ms`;
}
