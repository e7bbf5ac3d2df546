import type { CaseResult, UpdateContextResults } from 'bench/update-context.bench.js';

// Issue #2, section 7.
export const TARGETS = { throughputRatio: 0.5, halfLoadP95Ms: 15 } as const;

export interface Verdicts {
  // update_context throughput over raw pg throughput, per concurrency level.
  readonly ratios: { concurrency: number; sessions: CaseResult['sessions']; ratio: number }[];
  readonly throughputMet: boolean;
  readonly halfLoadP95Ms: number | null;
  readonly halfLoadMet: boolean;
}

export function verdicts(results: UpdateContextResults): Verdicts {
  const ratios = results.cases
    .filter((c) => c.path === 'update_context')
    .map((c) => {
      const raw = results.cases.find((r) => r.path === 'raw-pg' && r.concurrency === c.concurrency && r.sessions === c.sessions);
      return { concurrency: c.concurrency, sessions: c.sessions, ratio: raw ? c.throughput / raw.throughput : Number.NaN };
    });
  // The target compares like with like: one session per agent. The hot
  // session case is reported beside it; raw INSERTs take no session row lock.
  const throughputMet = ratios.filter((r) => r.sessions === 'per-worker').every((r) => r.ratio >= TARGETS.throughputRatio);
  const p95 = results.halfLoad && results.halfLoad.errors === 0 ? results.halfLoad.latencyMs.p95 : null;
  return { ratios, throughputMet, halfLoadP95Ms: p95, halfLoadMet: p95 !== null && p95 <= TARGETS.halfLoadP95Ms };
}

const HEADER = ['path', 'concurrency', 'sessions', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'vs raw', 'CPU ms/op gen / server / pg / redis', 'cores busy (others)'];

function rows(results: UpdateContextResults, v: Verdicts): string[][] {
  const table = results.cases.map((c) => {
    const ratio = c.path === 'update_context' ? v.ratios.find((r) => r.concurrency === c.concurrency && r.sessions === c.sessions)?.ratio : undefined;
    return [
      c.path,
      String(c.concurrency),
      c.sessions,
      c.throughput.toFixed(0),
      c.latencyMs.p50.toFixed(2),
      c.latencyMs.p95.toFixed(2),
      c.latencyMs.p99.toFixed(2),
      String(c.errors),
      ratio === undefined ? '' : `${(ratio * 100).toFixed(0)}%`,
      cpuCell(c.cpu),
      busyCell(c.cpu),
    ];
  });
  const h = results.halfLoad;
  if (h) {
    table.push([
      'update_context open loop',
      `${h.workers} agents`,
      'per-worker',
      `${h.throughput.toFixed(0)} (target ${h.targetRate})`,
      h.latencyMs.p50.toFixed(2),
      h.latencyMs.p95.toFixed(2),
      h.latencyMs.p99.toFixed(2),
      String(h.errors),
      '',
      cpuCell(h.cpu),
      busyCell(h.cpu),
    ]);
  }
  return table;
}

function busyCell(cpu: CaseResult['cpu']): string {
  return cpu ? `${(cpu.machineBusy * 100).toFixed(0)}% (${(cpu.othersBusy * 100).toFixed(0)}%)` : '';
}

function cpuCell(cpu: CaseResult['cpu']): string {
  if (!cpu) return '';
  const { generator, baton, postgres, redis } = cpu.msPerOp;
  return [generator, baton, postgres, redis].map((x) => x.toFixed(2)).join(' / ');
}

export function terminalTable(results: UpdateContextResults): string {
  const table = [HEADER, ...rows(results, verdicts(results))];
  const widths = HEADER.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

// Issue #12, goal 2: Baton's server CPU per update_context over the minimal
// SDK + pg server's, at each concurrency (target at most 2.0 over HTTP).
export const REFERENCE_CPU_TARGET = 2.0;

function referenceRatios(results: UpdateContextResults): { concurrency: number; ratio: number }[] {
  return results.cases
    .filter((c) => c.path === 'reference' && c.cpu)
    .flatMap((ref) => {
      const baton = results.cases.find((c) => c.path === 'update_context' && c.concurrency === ref.concurrency && c.sessions === ref.sessions);
      return baton?.cpu && ref.cpu ? [{ concurrency: ref.concurrency, ratio: baton.cpu.msPerOp.baton / ref.cpu.msPerOp.baton }] : [];
    });
}

export function verdictLines(results: UpdateContextResults): string[] {
  const v = verdicts(results);
  const reference = referenceRatios(results);
  const perWorker = v.ratios.filter((r) => r.sessions === 'per-worker');
  const hot = v.ratios.find((r) => r.sessions === 'hot');
  const h = results.halfLoad;
  return [
    `Throughput at least ${TARGETS.throughputRatio * 100}% of raw pg: ${v.throughputMet ? 'MET' : 'NOT MET'} (` +
      perWorker.map((r) => `c=${r.concurrency}: ${(r.ratio * 100).toFixed(0)}%`).join(', ') +
      (hot ? `; hot session c=${hot.concurrency}: ${(hot.ratio * 100).toFixed(0)}%, not part of the target` : '') +
      ')',
    `p95 at most ${TARGETS.halfLoadP95Ms} ms at half of peak load: ${v.halfLoadMet ? 'MET' : 'NOT MET'}` +
      (h ? ` (p95 ${h.latencyMs.p95.toFixed(2)} ms, p99 ${h.latencyMs.p99.toFixed(2)} ms at ${h.throughput.toFixed(0)} ops/s, half of the ${h.peakThroughput.toFixed(0)} ops/s peak; ${h.errors} errors)` : ''),
    ...(reference.length > 0
      ? [
          `Server CPU per update_context at most ${REFERENCE_CPU_TARGET}x the minimal SDK + pg server over HTTP: ${reference.every((r) => r.ratio <= REFERENCE_CPU_TARGET) ? 'MET' : 'NOT MET'} (` +
            reference.map((r) => `c=${r.concurrency}: ${r.ratio.toFixed(2)}x`).join(', ') +
            ')',
        ]
      : []),
  ];
}

// The generated part of docs/benchmarks.md's "update_context (issue #2)" section.
export function markdownSection(results: UpdateContextResults, command: string): string {
  const table = [HEADER, HEADER.map(() => '---'), ...rows(results, verdicts(results))].map((r) => `| ${r.join(' | ')} |`).join('\n');
  const m = results.machine;
  const d = results.durability;
  const s = results.settings;
  return [
    `Last run: ${results.startedAt}, \`${command}\`.`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}; load generator, Baton, PostgreSQL and Redis all on it` +
      (results.backgroundBusy === null ? '.' : `; other processes kept ${(results.backgroundBusy * 100).toFixed(0)}% of the cores busy just before the run.`),
    `- Versions: Node ${results.versions.node}, PostgreSQL ${results.versions.postgres}, Redis ${results.versions.redis}.`,
    `- Durability: synchronous_commit=${d.synchronous_commit}, fsync=${d.fsync}, wal_sync_method=${d.wal_sync_method}, full_page_writes=${d.full_page_writes}.`,
    `- Baton: \`node dist/main.js serve\` as a child process, BATON_DB_POOL_SIZE=${s.poolSize}, BATON_LOG_LEVEL=${s.logLevel}; raw pg: a \`pg.Pool\` of ${s.poolSize} in the harness.`,
    '- Reference (issue #12): `bench/reference/minimal-server.ts` over Streamable HTTP, the same MCP SDK doing one parameterised INSERT per call with `pg`; in its rows the server CPU column is that process.',
    `- Each case: ${s.warmupS} s warm-up, then ${s.durationS} s measured; content ${s.contentBytes} bytes, metadata \`${JSON.stringify(s.metadata)}\`.`,
    `- Ledger check after the run: ${results.ledgerCheck.entries} Baton entries in ${results.ledgerCheck.sessions} sessions, sequences ${results.ledgerCheck.gapless ? 'gapless' : 'NOT gapless'}.`,
    '',
    table,
    '',
    ...verdictLines(results).map((line) => `- ${line}`),
  ].join('\n');
}
