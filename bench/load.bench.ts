// The whole service under a realistic mix (issue #12, goal 4): agents over
// Streamable HTTP, each with its own MCP client and Baton session, appending
// (70%), reading a page of context (15%), requesting a handoff to another
// agent (10%) and accepting one addressed to them (5%). For each number of
// stored entries (filler sessions seeded with SQL) and each number of
// concurrent agents: throughput, latency and CPU per operation of Baton and
// PostgreSQL, closed loop, with each operation's own latency; then, at each
// store size, the highest open-loop rate (found by bisection) whose p95 stays
// under 100 ms without errors. These curves are the baseline for the next
// steps. Results replace the load section of docs/benchmarks.md.
//   npm run bench:load   (BENCH_AGENTS=10,50,200 BENCH_STORED=10000,100000,1000000 BENCH_DURATION_S=10,
//                         BATON_BENCH_DATABASE_URL, BATON_BENCH_REDIS_URL)
//   npm run bench:load -- --skip-docs   a trial run: the docs are left as they are
//   npm run bench:load -- --profile     also a V8 CPU profile of the server in bench/.cache/profiles
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pg from 'pg';

import { benchFlags, runBench, writeDocSection } from 'bench/support/bench-doc.js';

import { BatonProcess, migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';
import { CpuMeter, type CpuBreakdown } from 'bench/support/cpu-meter.js';
import { summarize, type LatencySummary } from 'bench/support/latency-stats.js';
import { closedLoop, openLoop, type LoadResult } from 'bench/support/load-generator.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

const AGENTS = (process.env.BENCH_AGENTS ?? '10,50,200').split(',').map(Number);
const STORED = (process.env.BENCH_STORED ?? '10000,100000,1000000').split(',').map(Number);
const DURATION_MS = Number(process.env.BENCH_DURATION_S ?? 10) * 1000;
const WARM_UP_MS = 2_000;
const FIRST_WARM_UP_MS = 15_000;
const P95_LIMIT_MS = 100;
// Open-loop trials per store size in the search for the sustained rate.
const RATE_STEPS = 5;
const RATE_WORKERS = 50;
const ADMIN_URL = process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DOC = resolve('docs/benchmarks.md');
const START = '<!-- load-bench:start -->';
const END = '<!-- load-bench:end -->';
const FILLER_SESSION_ENTRIES = 10_000;
const FLAGS = benchFlags();

interface Agent {
  id: string;
  client: Client;
  sessionKey: string;
  appended: number;
}

const KINDS = ['update_context', 'get_context', 'request_handoff', 'accept_handoff'] as const;
type Kind = (typeof KINDS)[number];

interface Case extends LoadResult {
  stored: number;
  agents: number;
  cpu: CpuBreakdown | null;
  byKind: Record<Kind, LatencySummary>;
}

interface Sustained {
  stored: number;
  rate: number;
  result: LoadResult | null;
}

// Each operation's own latency (start to answer), by kind, since the last take().
class KindLatencies {
  private samples = new Map<Kind, number[]>(KINDS.map((kind) => [kind, []]));

  async time<T>(kind: Kind, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await run();
    this.samples.get(kind)?.push(performance.now() - started);
    return result;
  }

  take(): Record<Kind, LatencySummary> {
    const taken = Object.fromEntries(KINDS.map((kind) => [kind, summarize(this.samples.get(kind) ?? [])])) as Record<Kind, LatencySummary>;
    this.samples = new Map(KINDS.map((kind) => [kind, []]));
    return taken;
  }
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.structuredContent)}`);
  return result.structuredContent as Record<string, unknown>;
}

// One operation of the mix for one agent, chosen by weight.
function mix(agents: Agent[], latencies: KindLatencies): (worker: number) => Promise<boolean> {
  return async (worker) => {
    const agent = agents[worker % agents.length] as Agent;
    const roll = Math.random();
    if (roll < 0.7) {
      agent.appended++;
      await latencies.time('update_context', () => call(agent.client, 'update_context', { sessionKey: agent.sessionKey, agentId: agent.id, type: agent.appended % 5 === 0 ? 'todo' : 'note', content: `step ${agent.appended}: ran the suite, 412 passed; next the retry path` }));
    } else if (roll < 0.85) {
      await latencies.time('get_context', () => call(agent.client, 'get_context', { sessionKey: agent.sessionKey, afterSequence: Math.max(0, agent.appended - 50), limit: 50 }));
    } else if (roll < 0.95) {
      const target = agents[(worker + 1) % agents.length] as Agent;
      await latencies.time('request_handoff', () => call(agent.client, 'request_handoff', { sessionKey: agent.sessionKey, targetAgent: target.id, type: 'context_transfer', tokenBudget: 2000 }));
    } else {
      await latencies.time('accept_handoff', async () => {
        const { handoffs } = (await call(agent.client, 'list_handoffs', { agentId: agent.id, status: 'pending', limit: 1 })) as { handoffs: { handoffId: string }[] };
        const offer = handoffs[0];
        if (offer) await call(agent.client, 'accept_handoff', { handoffId: offer.handoffId, agentId: agent.id });
      });
    }
    return true;
  };
}

// The highest open-loop rate between 0 and `peak` at which RATE_WORKERS
// agents keep p95 under the limit without errors, by bisection.
async function sustainedRate(agents: Agent[], peak: number, stored: number): Promise<Sustained> {
  const operation = mix(agents.slice(0, RATE_WORKERS), new KindLatencies());
  let low = 0;
  let high = Math.ceil(peak);
  let best: LoadResult | null = null;
  for (let step = 0; step < RATE_STEPS && high - low > 1; step++) {
    const rate = Math.round((low + high) / 2);
    const result = await openLoop(operation, rate, RATE_WORKERS, DURATION_MS);
    const kept = result.latencyMs.p95 < P95_LIMIT_MS && result.errors === 0;
    process.stderr.write(`${stored} stored, open loop ${rate} ops/s: p95 ${result.latencyMs.p95.toFixed(1)} ms, ${result.errors} errors${kept ? '' : ' (over)'}\n`);
    if (kept) {
      low = rate;
      best = result;
    } else {
      high = rate;
    }
  }
  return { stored, rate: low, result: best };
}

// Filler sessions of FILLER_SESSION_ENTRIES entries each, written with SQL,
// until the database stores `total` entries.
async function fill(db: pg.Client, total: number): Promise<void> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM context_entries');
  let stored = Number(rows[0]?.n ?? 0);
  while (stored < total) {
    const count = Math.min(FILLER_SESSION_ENTRIES, total - stored);
    await db.query(
      `WITH s AS (
         INSERT INTO sessions (id, namespace, session_key, agent_id, title, last_sequence, expires_at)
         VALUES (gen_random_uuid(), 'default', $1, 'bench-filler', 'filler', $2, now() + interval '1 day') RETURNING id)
       INSERT INTO context_entries (id, session_id, sequence, type, content, metadata, token_count, content_hash, created_at)
       SELECT gen_random_uuid(), s.id, g, CASE WHEN g % 5 = 0 THEN 'todo' ELSE 'note' END::entry_type,
              'filler entry ' || g || ': ran the suite, 412 passed; next the retry path', '{}'::jsonb, 16, md5(g::text) || md5(g::text), now()
       FROM s, generate_series(1, $2::int) AS g`,
      [`filler-${randomBytes(4).toString('hex')}`, count],
    );
    stored += count;
  }
  // A settled store, as a running service's is: autovacuum would otherwise
  // work through the new rows during the measurements.
  await db.query('VACUUM (ANALYZE) context_entries');
}

async function main(): Promise<void> {
  if (!existsSync('dist/main.js')) throw new Error('dist/ is missing: run `npm run build` first');
  const { name, url } = benchDatabaseUrl(ADMIN_URL);
  const env = { DATABASE_URL: url, REDIS_URL, BATON_REDIS_PREFIX: `baton-bench-${name}`, BATON_LOG_LEVEL: 'warn', BATON_WORKERS_IN_SERVE: 'false' };
  await migrate(env);
  const baton = await BatonProcess.start(env, 'bench/.cache/load-serve.log', FLAGS.profileArgs);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const agents: Agent[] = [];
  const cases: Case[] = [];
  const sustained: Sustained[] = [];
  const latencies = new KindLatencies();
  const loadBefore = loadavg()[0] as number;
  try {
    for (let i = 0; i < Math.max(...AGENTS); i++) {
      const client = await connectMcpClient(new StreamableHTTPClientTransport(baton.url), `bench-load-${i}`);
      const id = `agent-${i}@bench`;
      const { sessionKey } = (await call(client, 'register_session', { agentId: id, title: `load agent ${i}` })) as { sessionKey: string };
      agents.push({ id, client, sessionKey, appended: 0 });
    }
    const meter = new CpuMeter(process.pid, () => baton.pid, async () => new Set((await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL')).rows.map((r) => r.pid)));
    for (const stored of STORED) {
      process.stderr.write(`filling to ${stored} stored entries...\n`);
      await fill(db, stored);
      for (const count of AGENTS) {
        const operation = mix(agents.slice(0, count), latencies);
        // The first case also warms the server's JIT and caches from cold.
        await closedLoop(operation, count, cases.length === 0 ? FIRST_WARM_UP_MS : Math.min(WARM_UP_MS, DURATION_MS));
        latencies.take();
        const before = await meter.sample();
        const result = await closedLoop(operation, count, DURATION_MS);
        const row = { stored, agents: count, ...result, cpu: meter.between(before, await meter.sample(), result.ops), byKind: latencies.take() };
        process.stderr.write(`${JSON.stringify({ stored, agents: count, throughput: result.throughput, p95: result.latencyMs.p95, errors: result.errors, firstError: result.firstError, cpu: row.cpu?.msPerOp })}\n`);
        cases.push(row);
      }
      const peak = Math.max(...cases.filter((c) => c.stored === stored).map((c) => c.throughput));
      sustained.push(await sustainedRate(agents, peak, stored));
    }
  } finally {
    await Promise.all(agents.map((a) => a.client.close().catch(() => undefined)));
    await db.end();
    await baton.stop();
    await dropDatabase(ADMIN_URL, name);
  }
  if (FLAGS.writeDocs) writeDoc(cases, sustained, [loadBefore, loadavg()[0] as number]);
}

function writeDoc(cases: Case[], sustained: Sustained[], load: [number, number]): void {
  const f = (n: number, digits = 1) => (Number.isNaN(n) ? 'n/a' : n.toFixed(digits));
  const errors = cases.filter((c) => c.firstError !== undefined);
  const section = [
    '## Whole service under load (issue #12)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:load\`: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load generator, \`baton serve\`, PostgreSQL and Redis on the one machine; 1-minute load average ${f(load[0])} before and ${f(load[1])} after (a load above the core count inflates every figure).`,
    `Each agent has its own MCP client over Streamable HTTP and its own session; the mix is 70% update_context, 15% get_context (a page of 50), 10% request_handoff (context_transfer, 2,000 tokens) to another agent, 5% list_handoffs plus accept_handoff. Stored entries include filler sessions seeded with SQL, then vacuumed and analysed. Closed loop, ${DURATION_MS / 1000} s per case after a warm-up of ${Math.min(WARM_UP_MS, DURATION_MS) / 1000} s (${FIRST_WARM_UP_MS / 1000} s before the first case, which also warms the server from cold). CPU is per operation, from /proc: \`baton serve\` and the benchmark database's PostgreSQL processes.`,
    '',
    '| stored entries | agents | ops/s | p50 ms | p95 ms | p99 ms | errors | Baton CPU ms/op | PostgreSQL CPU ms/op |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...cases.map((c) => `| ${c.stored} | ${c.agents} | ${f(c.throughput, 0)} | ${f(c.latencyMs.p50)} | ${f(c.latencyMs.p95)} | ${f(c.latencyMs.p99)} | ${c.errors} | ${c.cpu ? f(c.cpu.msPerOp.baton, 2) : 'n/a'} | ${c.cpu ? f(c.cpu.msPerOp.postgres, 2) : 'n/a'} |`),
    '',
    'Each operation\'s own latency in the same cases, p50 / p95 ms (list_handoffs plus accept_handoff count as one):',
    '',
    `| stored entries | agents | ${KINDS.join(' | ')} |`,
    `| --- | --- | ${KINDS.map(() => '---').join(' | ')} |`,
    ...cases.map((c) => `| ${c.stored} | ${c.agents} | ${KINDS.map((kind) => `${f(c.byKind[kind].p50)} / ${f(c.byKind[kind].p95)}`).join(' | ')} |`),
    '',
    `The highest open-loop rate with p95 under ${P95_LIMIT_MS} ms and no errors (${RATE_WORKERS} agents, ${DURATION_MS / 1000} s per trial, bisection over ${RATE_STEPS} trials between 0 and the closed-loop peak of the same store; latency from each operation's scheduled start):`,
    '',
    '| stored entries | sustained ops/s | p50 ms | p95 ms | p99 ms |',
    '| --- | --- | --- | --- | --- |',
    ...sustained.map((s) => (s.result ? `| ${s.stored} | ${s.rate} | ${f(s.result.latencyMs.p50)} | ${f(s.result.latencyMs.p95)} | ${f(s.result.latencyMs.p99)} |` : `| ${s.stored} | none of the tried rates | | | |`)),
    ...(errors.length > 0 ? ['', ...errors.map((c) => `- ${c.stored} stored, ${c.agents} agents: ${c.errors} failed; the first: ${c.firstError}`)] : []),
  ].join('\n');
  writeDocSection(DOC, START, END, section);
}

runBench(main);
