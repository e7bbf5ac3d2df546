// What the harness asks bench/support/loop-probe.ts inside `baton serve`.
export type ProbeRequest = { type: 'reset' } | { type: 'delay' } | { type: 'heap' } | { type: 'profiler'; enabled: boolean };

export type ProbeReply =
  | { type: 'reset' }
  | { type: 'delay'; maxMs: number; p99Ms: number; busiestCpuMs: number }
  | { type: 'heap'; heapUsed: number; marks: number }
  | { type: 'profiler' }
  | { type: 'error'; message: string };
