import { parseArgs } from 'node:util';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, type StreamableHTTPClientTransportOptions } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import type { BatonProcess } from 'bench/support/baton-process.js';
import { CpuMeter } from 'bench/support/cpu-meter.js';
import { closedLoop } from 'bench/support/load-generator.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

// What the benches that compare `baton serve` set up two or more ways
// (telemetry, authentication) share: their command line, one measured round
// of update_context in a closed loop, and the summary of the rounds.

export interface RoundOptions {
  readonly durationMs: number;
  readonly rounds: number;
  readonly concurrency: number;
  // A V8 CPU profile of each `baton serve`.
  readonly profile: boolean;
  readonly adminUrl: string;
  readonly redisUrl: string;
}

export function roundOptions(): RoundOptions {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '8' },
      profile: { type: 'boolean', default: false },
    },
  });
  return {
    durationMs: Number(values.duration) * 1000,
    rounds: Number(values.rounds),
    concurrency: Number(values.concurrency),
    profile: values.profile,
    adminUrl: process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

export interface RoundResult {
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  // Calls answered with a tool error in the measured window.
  readonly errors: number;
  readonly batonCpuMsPerOp: number | null;
  readonly othersBusy: number | null;
}

// One client (and one session) per worker, 1 KiB notes appended in a closed
// loop: 2 s of warm-up, then the measured window with Baton's CPU.
export async function measureAppends(
  baton: BatonProcess,
  options: RoundOptions,
  label: string,
  // The agent of worker w and how its client talks to Baton (e.g. its credential).
  worker: (w: number) => Promise<{ agentId: string; transport?: StreamableHTTPClientTransportOptions }>,
): Promise<RoundResult> {
  const clients: Client[] = [];
  try {
    const keys: string[] = [];
    for (let w = 0; w < options.concurrency; w++) {
      const { agentId, transport } = await worker(w);
      const client = await connectMcpClient(new StreamableHTTPClientTransport(baton.url, transport), `bench-${w}`);
      clients.push(client);
      const key = `${label}-${w}-${Date.now().toString(36)}`;
      const registered = await client.callTool({ name: 'register_session', arguments: { sessionKey: key, agentId } });
      if (registered.isError) throw new Error(`register_session failed: ${JSON.stringify(registered.content)}`);
      keys.push(key);
    }
    const content = 'x'.repeat(1024);
    let errors = 0;
    const operation = async (w: number): Promise<boolean> => {
      const result = await (clients[w] as Client).callTool({ name: 'update_context', arguments: { sessionKey: keys[w], type: 'note', content } });
      if (result.isError === true) errors++;
      return result.isError !== true;
    };
    await closedLoop(operation, options.concurrency, 2_000);
    errors = 0;
    const meter = new CpuMeter(process.pid, () => baton.pid);
    const before = await meter.sample();
    const result = await closedLoop(operation, options.concurrency, options.durationMs);
    const cpu = meter.between(before, await meter.sample(), result.ops);
    return { throughput: result.throughput, p50: result.latencyMs.p50, p99: result.latencyMs.p99, errors, batonCpuMsPerOp: cpu?.msPerOp.baton ?? null, othersBusy: cpu?.othersBusy ?? null };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
}

// The mean of one figure over the rounds of one mode (rounds without it left out).
export function meanOf<R extends { mode: string }>(rounds: readonly R[], mode: R['mode'], pick: (r: R) => number | null): number {
  const picked = rounds.filter((r) => r.mode === mode).map(pick).filter((v): v is number => v !== null);
  return picked.reduce((a, b) => a + b, 0) / picked.length;
}

export function fmt(v: number | null, digits = 1): string {
  return v === null || Number.isNaN(v) ? 'n/a' : v.toFixed(digits);
}

export function busyShare(othersBusy: number | null): string {
  return othersBusy === null ? 'n/a' : `${Math.round(othersBusy * 100)}%`;
}
