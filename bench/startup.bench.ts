// Start-up of `baton stdio` and `baton serve` (issue #12, goal 3) beside the
// reference servers, in one run, interleaved so they share the machine's
// load alike: the minimal SDK + pg server of bench/reference, and, when
// installed into bench/.cache/peers (`npm install --prefix bench/.cache/peers
// @modelcontextprotocol/server-memory mcp-memory-keeper`; the latter builds
// better-sqlite3), the official MCP memory server and mcp-memory-keeper.
// For each stdio server: spawn to the answer of `initialize`, the process's
// CPU time by then, and its RSS after 5 s idle. For `baton serve`: spawn to
// the first 200 of /health/live, to the answer of tools/list over HTTP, and
// RSS after 5 s idle.
// Results replace the start-up section of docs/benchmarks.md.
//   npm run bench:startup   (BENCH_RUNS, BATON_BENCH_DATABASE_URL, BATON_BENCH_REDIS_URL)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';

import { runBench, writeDocSection } from 'bench/support/bench-doc.js';

import { migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';
import { REFERENCE_TABLE_SQL } from 'bench/reference/reference-table.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_MS = 5_000;
const TARGET = { stdioInitializeMs: 400, stdioIdleMiB: 120, serveLiveMs: 800 };
const ADMIN_URL = process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PEERS = resolve('bench/.cache/peers/node_modules');
const DOC = resolve('docs/benchmarks.md');
const START = '<!-- startup-bench:start -->';
const END = '<!-- startup-bench:end -->';

interface Server {
  name: string;
  args: string[];
  env: Record<string, string>;
  // Probe: stdio initialize, or an HTTP URL polled until it answers 200
  // (then, where the server serves MCP at `mcp`, initialize and tools/list
  // sent there at once).
  http?: (port: number) => { args: string[]; url: string; mcp?: string };
}

interface Sample {
  readyMs: number;
  // stdio: spawn to the answer of the first tools/list, sent right after
  // initialize (what an agent needs before it can use any tool).
  toolsMs?: number;
  cpuMs: number;
  idleMiB: number;
}

const INITIALIZE = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench-startup', version: '1.0.0' } } })}\n`;
const LIST_TOOLS = `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })}\n`;

function procStat(pid: number): { cpuMs: number; rssMiB: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
  // utime + stime in clock ticks (100 per second on Linux).
  return { cpuMs: (Number(fields[11]) + Number(fields[12])) * 10, rssMiB: Number(rss) / 1024 };
}

async function measure(server: Server, port: number): Promise<Sample> {
  const http = server.http?.(port);
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...server.args, ...(http?.args ?? [])], { env: { PATH: process.env.PATH ?? '', ...server.env }, stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    let readyMs: number;
    let toolsMs: number | undefined;
    if (http) {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`${server.name} exited with ${child.exitCode}`);
        if (await fetch(http.url).then((r) => r.ok, () => false)) break;
        await sleep(5);
      }
      readyMs = performance.now() - started;
      if (http.mcp) {
        await listToolsOverHttp(http.mcp);
        toolsMs = performance.now() - started;
      }
    } else {
      let out = '';
      const answer = (id: number): Promise<void> =>
        new Promise<void>((resolveAnswer, reject) => {
          const onData = (chunk: Buffer): void => {
            out += chunk.toString();
            if (out.includes(`"id":${id}`)) {
              child.stdout?.off('data', onData);
              resolveAnswer();
            }
          };
          child.stdout?.on('data', onData);
          onData(Buffer.alloc(0));
          child.once('exit', (code) => reject(new Error(`${server.name} exited with ${code} before answering request ${id}`)));
        });
      child.stdin?.write(INITIALIZE);
      await answer(1);
      readyMs = performance.now() - started;
      child.stdin?.write(LIST_TOOLS);
      await answer(2);
      toolsMs = performance.now() - started;
    }
    const { cpuMs } = procStat(child.pid as number);
    await sleep(IDLE_MS);
    return { readyMs, toolsMs, cpuMs, idleMiB: procStat(child.pid as number).rssMiB };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

// initialize, then tools/list, over Streamable HTTP; the answers are read
// whole (JSON or an event stream).
async function listToolsOverHttp(url: string): Promise<void> {
  const post = async (body: string, session?: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}) }, body });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${text.slice(0, 200)}`);
    return { session: response.headers.get('mcp-session-id') ?? undefined, text };
  };
  const { session } = await post(INITIALIZE.trim());
  await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), session);
  const { text } = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), session);
  if (!text.includes('"tools"')) throw new Error(`tools/list over HTTP answered without tools: ${text.slice(0, 200)}`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  if (!existsSync('dist/main.js')) throw new Error('dist/ is missing: run `npm run build` first');
  const { name, url } = benchDatabaseUrl(ADMIN_URL);
  const batonEnv = { DATABASE_URL: url, REDIS_URL, BATON_REDIS_PREFIX: `baton-bench-${name}`, BATON_LOG_LEVEL: 'warn', BATON_WORKERS_IN_SERVE: 'false' };
  await migrate(batonEnv);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(REFERENCE_TABLE_SQL);
  await db.end();
  const scratch = mkdtempSync(join(tmpdir(), 'baton-bench-startup-'));
  const servers: Server[] = [
    { name: '`baton stdio`', args: [resolve('dist/main.js'), 'stdio'], env: batonEnv },
    { name: 'minimal SDK + pg (bench/reference)', args: [resolve('bench/.cache/startup/bench/reference/minimal-server.js')], env: { DATABASE_URL: url } },
  ];
  const memory = join(PEERS, '@modelcontextprotocol/server-memory/dist/index.js');
  if (existsSync(memory)) servers.push({ name: 'official memory server', args: [memory], env: { MEMORY_FILE_PATH: join(scratch, 'memory.jsonl') } });
  const keeper = join(PEERS, 'mcp-memory-keeper/dist/index.js');
  if (existsSync(keeper)) servers.push({ name: 'mcp-memory-keeper', args: [keeper], env: { DATA_DIR: scratch, HOME: scratch } });
  servers.push({
    name: '`baton serve` (/health/live)',
    args: [resolve('dist/main.js'), 'serve'],
    env: batonEnv,
    http: (port) => ({ args: ['--host', '127.0.0.1', '--port', String(port)], url: `http://127.0.0.1:${port}/health/live`, mcp: `http://127.0.0.1:${port}/mcp` }),
  });
  const samples = new Map(servers.map((s) => [s.name, [] as Sample[]]));
  const loadBefore = loadavg()[0] as number;
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const server of servers) {
        const sample = await measure(server, 3900 + run);
        process.stderr.write(`${server.name}: ${JSON.stringify(sample)}\n`);
        samples.get(server.name)?.push(sample);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await dropDatabase(ADMIN_URL, name);
  }
  const missing = [existsSync(memory) ? '' : '@modelcontextprotocol/server-memory', existsSync(keeper) ? '' : 'mcp-memory-keeper'].filter(Boolean);
  writeDoc(servers.map((s) => ({ name: s.name, samples: samples.get(s.name) ?? [] })), [loadBefore, loadavg()[0] as number], missing);
}

function writeDoc(rows: { name: string; samples: Sample[] }[], load: [number, number], missing: string[]): void {
  const fmt = (n: number) => n.toFixed(0);
  const stdio = rows[0];
  const serve = rows.at(-1);
  const verdict = (ok: boolean) => (ok ? 'meets' : 'MISSES');
  const section = [
    '## Start-up (issue #12)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:startup\`: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; 1-minute load average ${load[0].toFixed(1)} before and ${load[1].toFixed(1)} after (a load above the core count inflates every time; the servers run interleaved, so they share it alike).`,
    `Medians of ${RUNS} spawns each. Ready: spawn to the answer of \`initialize\` over stdio (for \`baton serve\`: to the first 200 of /health/live). Tools: spawn to the answer of the first \`tools/list\`, sent as soon as \`initialize\` is answered (\`baton stdio\` answers \`initialize\` before its application is up; \`tools/list\` waits for it; \`baton serve\` listens before its application is up, answers /health/live at once and holds MCP requests until the application answers them, so its tools column is spawn to the answer of \`initialize\` then \`tools/list\` sent over HTTP as soon as /health/live answered). CPU: the process's user + system time once both are answered. Idle RSS: after ${IDLE_MS / 1000} s idle.`,
    '',
    '| server | ready ms | tools ms | CPU ms by then | idle RSS MiB |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.name} | ${fmt(median(r.samples.map((s) => s.readyMs)))} | ${r.samples[0]?.toolsMs === undefined ? '' : fmt(median(r.samples.map((s) => s.toolsMs ?? 0)))} | ${fmt(median(r.samples.map((s) => s.cpuMs)))} | ${fmt(median(r.samples.map((s) => s.idleMiB)))} |`),
    '',
    stdio ? `- \`baton stdio\` ready within ${TARGET.stdioInitializeMs} ms: ${verdict(median(stdio.samples.map((s) => s.readyMs)) <= TARGET.stdioInitializeMs)}; idle under ${TARGET.stdioIdleMiB} MiB: ${verdict(median(stdio.samples.map((s) => s.idleMiB)) < TARGET.stdioIdleMiB)}` : '',
    serve ? `- \`baton serve\` live within ${TARGET.serveLiveMs} ms: ${verdict(median(serve.samples.map((s) => s.readyMs)) <= TARGET.serveLiveMs)}` : '',
    ...(missing.length > 0 ? [`- Not measured (not installed in bench/.cache/peers): ${missing.join(', ')}.`] : []),
  ].join('\n');
  writeDocSection(DOC, START, END, section);
}

runBench(main);
