// Loaded into `baton serve` with `node --import` by the event-loop and heap
// benchmarks (never by Baton itself). It answers the harness over the IPC
// channel the harness opened: the longest event-loop delay since the last
// reset, and heap after a full GC.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

import { secretLintProfiler } from '@secretlint/profiler';

import type { ProbeReply, ProbeRequest } from 'bench/support/probe-protocol.js';

// A 1 ms timer: its worst lateness is the longest block of the event loop
// (to within the resolution), whatever blocked it, including other processes
// holding the cores.
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

// CPU time the process used between two ticks of a 1 ms timer: the longest
// stretch of work the event loop did without a break, which time lost to
// other processes does not inflate (it counts GC and worker threads too).
let busiestMs = 0;
let lastCpu = process.cpuUsage();
setInterval(() => {
  const used = process.cpuUsage(lastCpu);
  lastCpu = process.cpuUsage();
  busiestMs = Math.max(busiestMs, (used.user + used.system) / 1000);
}, 1).unref();

function answer(request: ProbeRequest): ProbeReply {
  switch (request.type) {
    case 'reset':
      delay.reset();
      busiestMs = 0;
      lastCpu = process.cpuUsage();
      return { type: 'reset' };
    case 'delay':
      return { type: 'delay', maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, busiestCpuMs: busiestMs };
    case 'heap': {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('start baton with --expose-gc to read heap after GC');
      gc();
      gc();
      const marks = performance.getEntriesByType('mark').length + performance.getEntriesByType('measure').length;
      return { type: 'heap', heapUsed: process.memoryUsage().heapUsed, marks };
    }
    case 'profiler':
      // Puts secretlint's default back, to show what the heap did before Baton switched it off.
      secretLintProfiler.setEnabled(request.enabled);
      return { type: 'profiler' };
  }
}

process.on('message', (request: ProbeRequest) => {
  try {
    process.send?.(answer(request));
  } catch (error) {
    process.send?.({ type: 'error', message: (error as Error).message });
  }
});
// The channel must not keep Baton alive when it shuts down.
process.channel?.unref();
