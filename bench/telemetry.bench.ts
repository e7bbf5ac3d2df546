import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { BatonProcess, migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';
import { CpuMeter } from 'bench/support/cpu-meter.js';
import { closedLoop } from 'bench/support/load-generator.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

// `npm run bench:telemetry`: update_context at concurrency 8 against `baton
// serve` with telemetry off (OTEL_SDK_DISABLED=true), with the default
// metrics only (/metrics, no exporter configured), and fully on (every span
// and metric exported over OTLP/HTTP to a local receiver, /metrics on), in
// rounds of the same run whose order alternates. A CLI: output goes to stdout.
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    // A V8 CPU profile of each `baton serve` in bench/.cache/profiles/telemetry-<mode>.
    profile: { type: 'boolean', default: false },
  },
});
const DURATION_MS = Number(values.duration) * 1000;
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const ADMIN = process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const MODES = { off: { OTEL_SDK_DISABLED: 'true' }, metrics: {}, on: { OTEL_METRIC_EXPORT_INTERVAL: '5000' } } as const;
type Mode = keyof typeof MODES;

interface Round {
  mode: Mode;
  throughput: number;
  p50: number;
  p99: number;
  batonCpuMsPerOp: number | null;
  othersBusy: number | null;
}

// A collector stand-in: accepts every export and counts what it received.
async function startReceiver(): Promise<{ endpoint: string; exports: () => number; close: () => void }> {
  let exports = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exports: () => exports, close: () => server.close() };
}

async function measure(mode: Mode, env: Record<string, string>, receiver: string): Promise<Round> {
  mkdirSync('bench/.cache', { recursive: true });
  const telemetry: Record<string, string> = { ...MODES[mode], ...(mode === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver } : {}) };
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=bench/.cache/profiles/telemetry-${mode}`] : [];
  const baton = await BatonProcess.start({ ...env, ...telemetry }, `bench/.cache/telemetry-${mode}.log`, profile);
  const clients: Client[] = [];
  try {
    const keys: string[] = [];
    for (let w = 0; w < CONCURRENCY; w++) {
      const client = await connectMcpClient(new StreamableHTTPClientTransport(baton.url), `bench-${w}`);
      clients.push(client);
      const key = `telemetry-${mode}-${w}-${Date.now().toString(36)}`;
      await client.callTool({ name: 'register_session', arguments: { sessionKey: key, agentId: 'bench' } });
      keys.push(key);
    }
    const content = 'x'.repeat(1024);
    const operation = async (worker: number): Promise<boolean> => {
      const result = await (clients[worker] as Client).callTool({ name: 'update_context', arguments: { sessionKey: keys[worker], type: 'note', content } });
      return result.isError !== true;
    };
    await closedLoop(operation, CONCURRENCY, 2_000);
    const meter = new CpuMeter(process.pid, () => baton.pid);
    const before = await meter.sample();
    const result = await closedLoop(operation, CONCURRENCY, DURATION_MS);
    const cpu = meter.between(before, await meter.sample(), result.ops);
    return { mode, throughput: result.throughput, p50: result.latencyMs.p50, p99: result.latencyMs.p99, batonCpuMsPerOp: cpu?.msPerOp.baton ?? null, othersBusy: cpu?.othersBusy ?? null };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await baton.stop();
  }
}

const { name, url } = benchDatabaseUrl(ADMIN);
const env = { DATABASE_URL: url, REDIS_URL: REDIS, BATON_REDIS_PREFIX: `bench-telemetry-${Date.now().toString(36)}`, BATON_LOG_LEVEL: 'warn' };
await migrate(env);
const receiver = await startReceiver();
const rounds: Round[] = [];
try {
  const order = Object.keys(MODES) as Mode[];
  for (let r = 0; r < ROUNDS; r++) for (const mode of r % 2 === 0 ? order : [...order].reverse()) rounds.push(await measure(mode, env, receiver.endpoint));
} finally {
  receiver.close();
  await dropDatabase(ADMIN, name);
}

const mean = (mode: Mode, pick: (r: Round) => number | null): number => {
  const picked = rounds.filter((r) => r.mode === mode).map(pick).filter((v): v is number => v !== null);
  return picked.reduce((a, b) => a + b, 0) / picked.length;
};
const fmt = (v: number | null, digits = 1): string => (v === null || Number.isNaN(v) ? 'n/a' : v.toFixed(digits));
const order = Object.keys(MODES) as Mode[];
process.stdout.write(`update_context, concurrency ${CONCURRENCY}, ${ROUNDS} rounds of ${DURATION_MS / 1000} s per mode; OTLP exports received: ${receiver.exports()}\n\n`);
process.stdout.write('| round | telemetry | ops/s | p50 ms | p99 ms | Baton CPU ms/op | other load on the machine |\n| --- | --- | --- | --- | --- | --- | --- |\n');
rounds.forEach((r, i) => process.stdout.write(`| ${Math.floor(i / order.length) + 1} | ${r.mode} | ${fmt(r.throughput)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.batonCpuMsPerOp, 3)} | ${r.othersBusy === null ? 'n/a' : `${Math.round(r.othersBusy * 100)}%`} |\n`));
for (const mode of ['metrics', 'on'] as const) {
  const opsChange = (mean(mode, (r) => r.throughput) / mean('off', (r) => r.throughput) - 1) * 100;
  const cpuChange = (mean(mode, (r) => r.batonCpuMsPerOp) / mean('off', (r) => r.batonCpuMsPerOp) - 1) * 100;
  process.stdout.write(`${mode} vs off: ${fmt(opsChange)}% operations per second, ${fmt(cpuChange)}% Baton CPU per call (targets: no worse than -10% and +10%).\n`);
}
