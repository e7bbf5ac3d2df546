import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

import { createReferenceTable } from 'bench/reference/reference-table.js';
import { busyShare, fmt, meanOf, medianRatio, roundOptions, sideBySideRound, type RoundResult } from 'bench/support/append-rounds.js';
import { BatonProcess, migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';
import { ReferenceProcess } from 'bench/support/reference-process.js';
import { telemetryFloorMicros } from 'bench/support/telemetry-floor.js';

// `npm run bench:telemetry`: update_context at concurrency 8 against `baton
// serve` with telemetry off (OTEL_SDK_DISABLED=true), with the default
// metrics only (/metrics, no exporter configured), and fully on (every span
// and metric exported over OTLP/HTTP to a local receiver, /metrics on), and
// like that with one trace in ten recorded (`sampled`), and fully on without
// the Express and Nest instrumentations (`lean`); and the reference server
// without and with OpenTelemetry (`reference off`, `reference on`, see
// REFERENCE_MODES). In each round they run side
// by side and take turns under load, slice by slice (sideBySideRound); each
// round starts new processes. Then the floor: what the OpenTelemetry SDK alone
// costs for one traced call's spans and metrics (bench/support/telemetry-floor.ts).
// A CLI: output goes to stdout.
const options = roundOptions();

// Every signal exported over OTLP to the harness's receiver.
const exporting = (receiver: string): Record<string, string> => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver, OTEL_METRIC_EXPORT_INTERVAL: '5000' });
const MODES = {
  off: () => ({ OTEL_SDK_DISABLED: 'true' }),
  metrics: () => ({}),
  on: exporting,
  sampled: (receiver: string) => ({ ...exporting(receiver), OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }),
  lean: (receiver: string) => ({ ...exporting(receiver), OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express,nestjs-core' }),
} satisfies Record<string, (receiver: string) => Record<string, string>>;
type BatonMode = keyof typeof MODES;
const order = Object.keys(MODES) as BatonMode[];

// The reference server (bench/reference), plain and with OpenTelemetry's
// HTTP and pg instrumentations exporting every span and metric to the same
// receiver as Baton's `on` (bench/reference/telemetry-preload.ts): what
// tracing costs the least MCP server over PostgreSQL, beside Baton's modes.
const PRELOAD = fileURLToPath(new URL('./reference/telemetry-preload.js', import.meta.url));
const REFERENCE_MODES = {
  'reference off': () => ({ nodeArgs: [] as string[], env: {} }),
  'reference on': (receiver: string) => ({ nodeArgs: ['--import', PRELOAD], env: exporting(receiver) }),
} satisfies Record<string, (receiver: string) => { nodeArgs: string[]; env: Record<string, string> }>;
type ReferenceMode = keyof typeof REFERENCE_MODES;
const referenceOrder = Object.keys(REFERENCE_MODES) as ReferenceMode[];
type Mode = BatonMode | ReferenceMode;

interface Round extends RoundResult {
  mode: Mode;
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

// One round: every mode's server side by side (sideBySideRound).
function measureRound(round: number, env: Record<string, string>, receiver: string): Promise<Round[]> {
  mkdirSync('bench/.cache', { recursive: true });
  const profile = (mode: Mode): string[] => (options.profile ? ['--cpu-prof', `--cpu-prof-dir=bench/.cache/profiles/telemetry-${mode.replaceAll(' ', '-')}`] : []);
  const baton = order.map((mode) => ({
    mode,
    start: () => BatonProcess.start({ ...env, ...MODES[mode](receiver) }, `bench/.cache/telemetry-${mode}.log`, profile(mode)),
    worker: async () => ({ agentId: 'bench' }),
  }));
  const reference = referenceOrder.map((mode) => ({
    mode,
    start: () => {
      const { nodeArgs, env: telemetry } = REFERENCE_MODES[mode](receiver);
      return ReferenceProcess.start(env.DATABASE_URL as string, [...profile(mode), ...nodeArgs], telemetry);
    },
    // The reference server has no sessions to register.
    worker: async () => ({}),
  }));
  return sideBySideRound<Mode>(round, [...baton, ...reference], options);
}

const { name, url } = benchDatabaseUrl(options.adminUrl);
const env = { DATABASE_URL: url, REDIS_URL: options.redisUrl, BATON_REDIS_PREFIX: `bench-telemetry-${Date.now().toString(36)}`, BATON_LOG_LEVEL: 'warn' };
await migrate(env);
await createReferenceTable(url);
const receiver = await startReceiver();
const rounds: Round[] = [];
let floor: { tracing: number; metrics: number };
try {
  for (let r = 0; r < options.rounds; r++) rounds.push(...(await measureRound(r, env, receiver.endpoint)));
  floor = await telemetryFloorMicros(receiver.endpoint);
} finally {
  receiver.close();
  await dropDatabase(options.adminUrl, name);
}

const mean = (mode: Mode, pick: (r: Round) => number | null): number => meanOf(rounds, mode, pick);
process.stdout.write(
  `update_context, concurrency ${options.concurrency}, ${options.rounds} rounds; in each, every mode side by side, ${options.durationMs / 1000} s each in slices of ${options.sliceMs / 1000} s taking turns; OTLP exports received: ${receiver.exports()}\n\n`,
);
process.stdout.write('| round | telemetry | ops/s | p50 ms | p99 ms | server CPU ms/op | other load on the machine |\n| --- | --- | --- | --- | --- | --- | --- |\n');
rounds.forEach((r, i) => process.stdout.write(`| ${Math.floor(i / (order.length + referenceOrder.length)) + 1} | ${r.mode} | ${fmt(r.throughput)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.batonCpuMsPerOp, 3)} | ${busyShare(r.othersBusy)} |\n`));
for (const mode of order.filter((m) => m !== 'off')) {
  const opsChange = (mean(mode, (r) => r.throughput) / mean('off', (r) => r.throughput) - 1) * 100;
  const cpuChange = (mean(mode, (r) => r.batonCpuMsPerOp) / mean('off', (r) => r.batonCpuMsPerOp) - 1) * 100;
  const median = (medianRatio(rounds, mode, 'off', (r) => r.batonCpuMsPerOp) - 1) * 100;
  process.stdout.write(`${mode} vs off: ${fmt(opsChange)}% operations per second, ${fmt(cpuChange)}% Baton CPU per call (median of the rounds: ${fmt(median)}%) (targets: no worse than -10% and +10%).\n`);
}
{
  const opsChange = (mean('reference on', (r) => r.throughput) / mean('reference off', (r) => r.throughput) - 1) * 100;
  const cpuChange = (mean('reference on', (r) => r.batonCpuMsPerOp) / mean('reference off', (r) => r.batonCpuMsPerOp) - 1) * 100;
  const median = (medianRatio(rounds, 'reference on', 'reference off', (r) => r.batonCpuMsPerOp) - 1) * 100;
  process.stdout.write(`The reference server with OpenTelemetry's HTTP and pg instrumentations vs without: ${fmt(opsChange)}% operations per second, ${fmt(cpuChange)}% CPU per call (median of the rounds: ${fmt(median)}%).\n`);
}
const offMicros = mean('off', (r) => r.batonCpuMsPerOp) * 1000;
process.stdout.write(
  `\nFloor, the OpenTelemetry SDK alone in this process: the spans of one traced update_context ${fmt(floor.tracing)} µs of CPU, its metric records ${fmt(floor.metrics)} µs; ` +
    `together ${fmt(((floor.tracing + floor.metrics) / offMicros) * 100)}% of the ${fmt(offMicros)} µs an update_context costs Baton with telemetry off.\n`,
);
