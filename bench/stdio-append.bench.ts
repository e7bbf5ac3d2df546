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
import { parseArgs } from 'node:util';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import pg from 'pg';

import { runBench, writeDocSection } from 'bench/support/bench-doc.js';
import { migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';
import { REFERENCE_TABLE_SQL } from 'bench/reference/reference-table.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

const { values } = parseArgs({ options: { profile: { type: 'boolean', default: false }, 'skip-docs': { type: 'boolean', default: false } } });
const PROFILE_ARGS = values.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/.cache/profiles'] : [];
const CALLS = Number(process.env.BENCH_CALLS ?? 2_000);
const WARMUP = 200;
const TARGET = 1.6;
const ADMIN_URL = process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONTENT = 'Decided to keep the append as one SQL statement: it locks the session row, takes the next sequence and inserts the entry.';

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

// CPU ms per call of the server behind the client, after a warm-up.
async function measure(args: string[], env: Record<string, string>, sessionKey: (client: Client) => Promise<string>): Promise<{ cpuPerCall: number; msPerCall: number }> {
  const transport = new StdioClientTransport({ command: process.execPath, args, env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'ignore' });
  const client = await connectMcpClient(transport, 'bench-stdio-append');
  try {
    const key = await sessionKey(client);
    const append = async () => {
      const result = await client.callTool({ name: 'update_context', arguments: { sessionKey: key, type: 'decision', content: CONTENT } });
      if (result.isError) throw new Error(`update_context failed: ${JSON.stringify(result.content)}`);
    };
    for (let i = 0; i < WARMUP; i++) await append();
    const pid = transport.pid as number;
    const cpu0 = cpuMs(pid);
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) await append();
    return { cpuPerCall: (cpuMs(pid) - cpu0) / CALLS, msPerCall: (performance.now() - t0) / CALLS };
  } finally {
    await client.close();
  }
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
    const baton = await measure([...PROFILE_ARGS, resolve('dist/main.js'), 'stdio'], env, async (client) => {
      const result = await client.callTool({ name: 'register_session', arguments: { agentId: 'bench-agent', title: 'stdio append benchmark' } });
      return (result.structuredContent as { sessionKey: string }).sessionKey;
    });
    const reference = await measure([...PROFILE_ARGS, resolve('bench/.cache/stdio-append/bench/reference/minimal-server.js')], { DATABASE_URL: url }, async () => 'bench-session');
    const ratio = baton.cpuPerCall / reference.cpuPerCall;
    process.stderr.write(`${JSON.stringify({ baton, reference, ratio })}\n`);
    if (values.profile || values['skip-docs']) return;
    const f = (n: number) => n.toFixed(2);
    writeDocSection(
      resolve('docs/benchmarks.md'),
      '<!-- stdio-append-bench:start -->',
      '<!-- stdio-append-bench:end -->',
      [
        '## update_context over stdio beside the minimal SDK + pg server (issue #12, goal 2)',
        '',
        `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:stdio-append\`: ${cpus().length} cores, Node ${process.version}; 1-minute load average ${loadBefore.toFixed(1)} before and ${(loadavg()[0] as number).toFixed(1)} after. One client calls \`update_context\` ${CALLS} times in sequence (after ${WARMUP} warm-up calls) on each server, spawned over stdio; CPU is the server process's user + system time per call.`,
        '',
        '| server | CPU ms/call | wall ms/call |',
        '| --- | --- | --- |',
        `| \`baton stdio\` | ${f(baton.cpuPerCall)} | ${f(baton.msPerCall)} |`,
        `| minimal SDK + pg (bench/reference) | ${f(reference.cpuPerCall)} | ${f(reference.msPerCall)} |`,
        '',
        `- Baton / reference CPU per call: ${ratio.toFixed(2)}x (target <= ${TARGET}): ${ratio <= TARGET ? 'meets' : 'MISSES'}`,
      ].join('\n'),
    );
  } finally {
    await dropDatabase(ADMIN_URL, name);
  }
}

runBench(main);
