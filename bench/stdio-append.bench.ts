// update_context over stdio (issue #12, goal 2): the server's CPU per call of
// `baton stdio` beside the minimal SDK + pg server of bench/reference, in one
// run, one client each calling in sequence as an agent does. Target: Baton at
// most 1.6x the reference. Results replace the stdio section of
// docs/benchmarks.md.
//   npm run bench:stdio-append   (BENCH_CALLS, BATON_BENCH_DATABASE_URL, BATON_BENCH_REDIS_URL)
//   npm run bench:stdio-append -- --skip-docs   a trial run: the docs are left as they are
//   npm run bench:stdio-append -- --profile     also V8 CPU profiles of both servers in bench/.cache/profiles
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import pg from 'pg';

import { benchFlags, runBench, writeDocSection } from 'bench/support/bench-doc.js';
import { migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';
import { REFERENCE_TABLE_SQL } from 'bench/reference/reference-table.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

const FLAGS = benchFlags();
const CALLS = Number(process.env.BENCH_CALLS ?? 4_000);
const WARMUP = 200;
const SLICE_CALLS = 250;
const TARGET = 1.6;
const ADMIN_URL = process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONTENT = 'Decided to keep the append as one SQL statement: it locks the session row, takes the next sequence and inserts the entry.';

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface StdioServer {
  readonly pid: number;
  append(): Promise<void>;
  close(): Promise<void>;
}

async function open(args: string[], env: Record<string, string>, sessionKey: (client: Client) => Promise<string>): Promise<StdioServer> {
  const transport = new StdioClientTransport({ command: process.execPath, args, env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'ignore' });
  const client = await connectMcpClient(transport, 'bench-stdio-append');
  const key = await sessionKey(client);
  const append = async () => {
    const result = await client.callTool({ name: 'update_context', arguments: { sessionKey: key, type: 'decision', content: CONTENT } });
    if (result.isError) throw new Error(`update_context failed: ${JSON.stringify(result.content)}`);
  };
  for (let i = 0; i < WARMUP; i++) await append();
  return { pid: transport.pid as number, append, close: () => client.close() };
}

interface Tally {
  cpuMs: number;
  wallMs: number;
  calls: number;
}

async function slice(server: StdioServer, calls: number, tally: Tally): Promise<number> {
  const cpu0 = cpuMs(server.pid);
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await server.append();
  const cpu = cpuMs(server.pid) - cpu0;
  tally.cpuMs += cpu;
  tally.wallMs += performance.now() - t0;
  tally.calls += calls;
  return cpu / calls;
}

// Both servers run side by side and take turns in slices of SLICE_CALLS, the
// order alternating, so load from other processes on a shared machine falls
// on both alike instead of on whichever ran when it came.
async function measure(baton: StdioServer, reference: StdioServer): Promise<{ baton: Tally; reference: Tally; sliceRatios: number[] }> {
  const tallies = { baton: { cpuMs: 0, wallMs: 0, calls: 0 }, reference: { cpuMs: 0, wallMs: 0, calls: 0 } };
  const sliceRatios: number[] = [];
  for (let done = 0, turn = 0; done < CALLS; done += SLICE_CALLS, turn++) {
    const calls = Math.min(SLICE_CALLS, CALLS - done);
    const order = turn % 2 === 0 ? (['baton', 'reference'] as const) : (['reference', 'baton'] as const);
    const perCall: Record<string, number> = {};
    for (const which of order) perCall[which] = await slice(which === 'baton' ? baton : reference, calls, tallies[which]);
    sliceRatios.push((perCall.baton as number) / (perCall.reference as number));
  }
  return { ...tallies, sliceRatios };
}

async function main(): Promise<void> {
  const { name, url } = benchDatabaseUrl(ADMIN_URL);
  const env = { DATABASE_URL: url, REDIS_URL, BATON_REDIS_PREFIX: `baton-bench-${name}`, BATON_LOG_LEVEL: 'warn' };
  await migrate(env);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(REFERENCE_TABLE_SQL);
  await db.end();
  const loadBefore = loadavg()[0] as number;
  try {
    const baton = await open([...FLAGS.profileArgs, resolve('dist/main.js'), 'stdio'], env, async (client) => {
      const result = await client.callTool({ name: 'register_session', arguments: { agentId: 'bench-agent', title: 'stdio append benchmark' } });
      return (result.structuredContent as { sessionKey: string }).sessionKey;
    });
    const referenceServer = await open([...FLAGS.profileArgs, resolve('bench/.cache/stdio-append/bench/reference/minimal-server.js')], { DATABASE_URL: url }, async () => 'bench-session');
    const measured = await measure(baton, referenceServer).finally(() => Promise.all([baton.close(), referenceServer.close()]));
    const perCall = (tally: Tally) => ({ cpuPerCall: tally.cpuMs / tally.calls, msPerCall: tally.wallMs / tally.calls });
    const batonFigures = perCall(measured.baton);
    const reference = perCall(measured.reference);
    const ratio = batonFigures.cpuPerCall / reference.cpuPerCall;
    const ratios = [...measured.sliceRatios].sort((x, y) => x - y);
    process.stderr.write(`${JSON.stringify({ baton: batonFigures, reference, ratio, sliceRatios: ratios })}\n`);
    if (!FLAGS.writeDocs) return;
    const f = (n: number) => n.toFixed(2);
    writeDocSection(
      resolve('docs/benchmarks.md'),
      '<!-- stdio-append-bench:start -->',
      '<!-- stdio-append-bench:end -->',
      [
        '## update_context over stdio beside the minimal SDK + pg server (issue #12, goal 2)',
        '',
        `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:stdio-append\`: ${cpus().length} cores, Node ${process.version}; 1-minute load average ${loadBefore.toFixed(1)} before and ${(loadavg()[0] as number).toFixed(1)} after. One client per server, each spawned over stdio, calls \`update_context\` ${CALLS} times in sequence (after ${WARMUP} warm-up calls); the two servers take turns in slices of ${SLICE_CALLS} calls, the order alternating, so other load on the machine falls on both alike. CPU is the server process's user + system time per call.`,
        '',
        '| server | CPU ms/call | wall ms/call |',
        '| --- | --- | --- |',
        `| \`baton stdio\` | ${f(batonFigures.cpuPerCall)} | ${f(batonFigures.msPerCall)} |`,
        `| minimal SDK + pg (bench/reference) | ${f(reference.cpuPerCall)} | ${f(reference.msPerCall)} |`,
        '',
        `- Baton / reference CPU per call: ${ratio.toFixed(2)}x (target <= ${TARGET}): ${ratio <= TARGET ? 'meets' : 'MISSES'}; slice by slice from ${f(ratios[0] as number)}x to ${f(ratios.at(-1) as number)}x (median ${f(ratios[Math.floor(ratios.length / 2)] as number)}x).`,
      ].join('\n'),
    );
  } finally {
    await dropDatabase(ADMIN_URL, name);
  }
}

runBench(main);
