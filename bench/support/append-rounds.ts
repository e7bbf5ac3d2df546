import { parseArgs } from 'node:util';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, type StreamableHTTPClientTransportOptions } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { CpuMeter } from 'bench/support/cpu-meter.js';
import { summarize } from 'bench/support/latency-stats.js';
import { closedLoop } from 'bench/support/load-generator.js';
import type { ServerProcess } from 'bench/support/server-process.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

// What the benches that compare `baton serve` set up two or more ways
// (telemetry, authentication) share: their command line, clients appending
// update_context in a closed loop, the setups measured side by side in one
// round, and the summary of the rounds.

export interface RoundOptions {
  readonly durationMs: number;
  readonly rounds: number;
  readonly concurrency: number;
  // Side by side, the measured time is cut into slices of this length (see measureSideBySide).
  readonly sliceMs: number;
  // A V8 CPU profile of each `baton serve`.
  readonly profile: boolean;
  readonly adminUrl: string;
  readonly redisUrl: string;
  // A bench's own string options, as given (see roundOptions).
  readonly extra: Readonly<Record<string, string | undefined>>;
}

// The shared command line, plus the string options one bench adds.
export function roundOptions(extra: Record<string, { type: 'string' }> = {}): RoundOptions {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '8' },
      slice: { type: 'string', default: '1' },
      profile: { type: 'boolean', default: false },
      ...extra,
    },
  });
  const own = values as Record<string, string | boolean | undefined>;
  return {
    extra: Object.fromEntries(Object.keys(extra).map((key) => [key, own[key] as string | undefined])),
    durationMs: Number(values.duration) * 1000,
    rounds: Number(values.rounds),
    concurrency: Number(values.concurrency),
    sliceMs: Number(values.slice) * 1000,
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

// What worker w appends as, and how its client talks to the server (e.g.
// its credential). Without an agent no session is registered: the reference
// server has none, its update_context takes any session key.
type Worker = (w: number) => Promise<{ agentId?: string; transport?: StreamableHTTPClientTransportOptions }>;

// One client (and one session) per worker of one server, ready to append
// 1 KiB notes in a closed loop, window after window.
class AppendLoad {
  private errors = 0;
  readonly meter: CpuMeter;

  private constructor(
    server: ServerProcess,
    private readonly clients: readonly Client[],
    private readonly keys: readonly string[],
    private readonly concurrency: number,
  ) {
    this.meter = new CpuMeter(process.pid, () => server.pid);
  }

  static async open(server: ServerProcess, options: RoundOptions, label: string, worker: Worker): Promise<AppendLoad> {
    const clients: Client[] = [];
    const keys: string[] = [];
    try {
      for (let w = 0; w < options.concurrency; w++) {
        const { agentId, transport } = await worker(w);
        const client = await connectMcpClient(new StreamableHTTPClientTransport(server.url, transport), `bench-${w}`);
        clients.push(client);
        const key = `${label}-${w}-${Date.now().toString(36)}`;
        if (agentId !== undefined) {
          const registered = await client.callTool({ name: 'register_session', arguments: { sessionKey: key, agentId } });
          if (registered.isError) throw new Error(`register_session failed: ${JSON.stringify(registered.content)}`);
        }
        keys.push(key);
      }
    } catch (error) {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      throw error;
    }
    return new AppendLoad(server, clients, keys, options.concurrency);
  }

  // Appends for `ms`, with the other load on the machine over that window;
  // every latency goes to `latencies`.
  async window(ms: number, latencies: number[] = []): Promise<AppendWindow> {
    this.errors = 0;
    const before = await this.meter.sample();
    const result = await closedLoop((w) => this.append(w), this.concurrency, ms, latencies);
    const cpu = this.meter.between(before, await this.meter.sample(), result.ops);
    return { ops: result.ops, seconds: result.seconds, errors: this.errors, othersBusy: cpu?.othersBusy ?? null };
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
  }

  private async append(w: number): Promise<boolean> {
    const result = await (this.clients[w] as Client).callTool({ name: 'update_context', arguments: { sessionKey: this.keys[w], type: 'note', content: CONTENT } });
    if (result.isError === true) this.errors++;
    return result.isError !== true;
  }
}

const CONTENT = 'x'.repeat(1024);
const WARM_UP_MS = 2_000;

interface AppendWindow {
  readonly ops: number;
  readonly seconds: number;
  // Calls answered with a tool error.
  readonly errors: number;
  readonly othersBusy: number | null;
}

// One setup a side-by-side round compares: how its server starts, and what
// each worker appends as against it.
export interface SideBySideSetup<M extends string> {
  readonly mode: M;
  readonly start: () => Promise<ServerProcess>;
  readonly worker: Worker;
}

// One round: every setup's server started, then measured side by side
// (measureSideBySide), then stopped. Odd rounds give the first slice to the
// last setup. Results come in the order of `setups`.
export async function sideBySideRound<M extends string>(round: number, setups: ReadonlyArray<SideBySideSetup<M>>, options: RoundOptions): Promise<Array<RoundResult & { readonly mode: M }>> {
  const started: Array<{ server: ServerProcess; load?: AppendLoad }> = [];
  try {
    for (const setup of setups) started.push({ server: await setup.start() });
    for (const [i, entry] of started.entries()) {
      const { mode, worker } = setups[i] as SideBySideSetup<M>;
      entry.load = await AppendLoad.open(entry.server, options, `${mode.replaceAll(' ', '-')}-${round}`, worker);
    }
    return await measureSideBySide(
      started.map(({ load }) => load as AppendLoad),
      options,
      round % 2 === 1,
    ).then((results) => results.map((result, i) => ({ mode: (setups[i] as SideBySideSetup<M>).mode, ...result })));
  } finally {
    for (const { load, server } of started) {
      await load?.close();
      await server.stop();
    }
  }
}

// Each setup's server runs at once, and the measured time is cut into
// slices that take turns, in an order that alternates (A B C, C B A, ...): at
// any moment one server is under load, at the concurrency asked for, and
// every setup sees the same stretch of the machine's life. On a shared
// machine whose speed drifts by tens of percent from one minute to the next,
// rounds measured one after the other compare different machines; slices a
// second apart do not. A server's CPU is counted from the first slice to the
// end of the last, idle turns included, so work it defers (an export batch,
// a timer) is charged to it and not lost between its slices.
async function measureSideBySide(loads: readonly AppendLoad[], options: RoundOptions, lastFirst: boolean): Promise<RoundResult[]> {
  for (const load of loads) await load.window(WARM_UP_MS);
  const count = Math.max(1, Math.round(options.durationMs / options.sliceMs));
  const windows = loads.map((): AppendWindow[] => []);
  const latencies = loads.map((): number[] => []);
  const forward = [...loads.keys()];
  const backward = [...forward].reverse();
  const before = await Promise.all(loads.map((load) => load.meter.sample()));
  for (let s = 0; s < count; s++) {
    for (const i of (s % 2 === 1) !== lastFirst ? backward : forward) {
      windows[i]?.push(await (loads[i] as AppendLoad).window(options.sliceMs, latencies[i]));
    }
  }
  const after = await Promise.all(loads.map((load) => load.meter.sample()));
  return loads.map((load, i) => {
    const own = windows[i] ?? [];
    const sum = (pick: (w: AppendWindow) => number): number => own.reduce((total, w) => total + pick(w), 0);
    const ops = sum((w) => w.ops);
    const seconds = sum((w) => w.seconds);
    const cpu = load.meter.between(before[i] ?? null, after[i] ?? null, ops);
    // Other load is taken over the server's own slices: over the whole round the other setups' servers would count as other work.
    const busyKnown = own.every((w) => w.othersBusy !== null);
    const latency = summarize(latencies[i] ?? []);
    return {
      throughput: ops / seconds,
      p50: latency.p50,
      p99: latency.p99,
      errors: sum((w) => w.errors),
      batonCpuMsPerOp: cpu?.msPerOp.baton ?? null,
      othersBusy: busyKnown ? sum((w) => (w.othersBusy ?? 0) * w.seconds) / seconds : null,
    };
  });
}

// The median of the per-round ratios of one mode's CPU per call to another's
// (rounds are paired by their index).
export function medianRatio<R extends { mode: string }>(rounds: readonly R[], mode: R['mode'], base: R['mode'], pick: (r: R) => number | null): number {
  const of = (m: R['mode']): Array<number | null> => rounds.filter((r) => r.mode === m).map(pick);
  const baseline = of(base);
  const ratios = of(mode)
    .map((v, i) => (v === null || baseline[i] == null ? null : v / (baseline[i] as number)))
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  if (ratios.length === 0) return Number.NaN;
  const mid = Math.floor(ratios.length / 2);
  return ratios.length % 2 === 1 ? (ratios[mid] as number) : ((ratios[mid - 1] as number) + (ratios[mid] as number)) / 2;
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
