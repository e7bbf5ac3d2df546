import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { summarize, type LatencySummary } from 'bench/support/latency-stats.js';

// One operation of one worker; rejects (or resolves false) on failure.
export type Operation = (worker: number) => Promise<boolean>;

export interface LoadResult {
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly throughput: number;
  readonly latencyMs: LatencySummary;
  // What the first failed operation threw, when one did.
  readonly firstError?: string;
}

// Counts failures and keeps the first one's message.
class Failures {
  count = 0;
  first: string | undefined;

  add(error: unknown): false {
    this.count++;
    this.first ??= error === false ? 'the operation reported a failure' : error instanceof Error ? error.message : String(error);
    return false;
  }
}

// Closed loop: `concurrency` workers each issue the next operation as soon as
// the previous one returns. Measures the throughput the system sustains.
// `latencies`, when given, receives every successful operation's latency
// (so windows of one load can be summarised together).
export async function closedLoop(operation: Operation, concurrency: number, durationMs: number, latencies: number[] = []): Promise<LoadResult> {
  const first = latencies.length;
  const failures = new Failures();
  const start = performance.now();
  const deadline = start + durationMs;
  let end = start;
  const worker = async (id: number): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const ok = await operation(id).then((done) => done || failures.add(false), (error: unknown) => failures.add(error));
      const t1 = performance.now();
      if (ok) latencies.push(t1 - t0);
      end = Math.max(end, t1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
  const seconds = (end - start) / 1000;
  const ours = latencies.slice(first);
  return { ops: ours.length, errors: failures.count, seconds, throughput: ours.length / seconds, latencyMs: summarize(ours), firstError: failures.first };
}

export interface OpenLoopResult extends LoadResult {
  readonly targetRate: number;
  readonly maxOutstanding: number;
}

// Open loop: operations start on a fixed schedule whether or not earlier ones
// finished, and latency runs from the scheduled start, so a stall shows up in
// the percentiles instead of quietly slowing the generator down (no
// coordinated omission). Operation i goes to worker i mod `workers`.
export async function openLoop(operation: Operation, rate: number, workers: number, durationMs: number): Promise<OpenLoopResult> {
  const interval = 1000 / rate;
  const total = Math.max(1, Math.floor((rate * durationMs) / 1000));
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  const failures = new Failures();
  let maxOutstanding = 0;
  let end = 0;
  const start = performance.now();
  const fire = (index: number): void => {
    const scheduled = start + index * interval;
    const run = operation(index % workers)
      .then((ok) => ok || failures.add(false), (error: unknown) => failures.add(error))
      .then((ok) => {
        const done = performance.now();
        if (ok) latencies.push(done - scheduled);
        end = Math.max(end, done);
        pending.delete(run);
      });
    pending.add(run);
    maxOutstanding = Math.max(maxOutstanding, pending.size);
  };
  let issued = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
    while (issued < due) fire(issued++);
    const wait = start + issued * interval - performance.now();
    if (wait > 0) await sleep(wait);
  }
  await Promise.all(pending);
  const seconds = (end - start) / 1000;
  return { targetRate: rate, ops: latencies.length, errors: failures.count, seconds, throughput: latencies.length / seconds, latencyMs: summarize(latencies), maxOutstanding, firstError: failures.first };
}
