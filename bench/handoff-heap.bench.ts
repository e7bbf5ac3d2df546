// Heap of `baton serve` after GC over 10,000 handoff builds (issue #8: each
// uncached build used to keep about 42 KB). `baton serve` (built dist/) runs
// as a child process with --expose-gc and bench/support/loop-probe.js, which
// answers with heapUsed after two full GCs and the number of entries in the
// process-wide performance timeline. The session holds the first 120 entries
// of the bug-hunt quality transcript; each build is a summary read with a token budget no earlier
// read used, so none is served from the cache (whose entries live in Redis,
// kept for one second here).
//
// With --with-profiler the same run first turns secretlint's profiler back
// on inside the process, to show what the heap did before Baton turned it off.
//
//   npm run bench:handoff-heap   (BENCH_BUILDS, default 10000; -- --with-profiler, --skip-docs)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { writeDocSection } from 'bench/support/doc-section.js';
import { withProbedBaton } from 'bench/support/probed-baton.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

const BUILDS = Number(process.env.BENCH_BUILDS ?? 10_000);
const CHECKPOINT = Math.max(1, Math.floor(BUILDS / 10));
const CLIENTS = 2;
const FIRST_BUDGET = 2_000;
const SESSION_ENTRIES = 120;
const FLAT_WITHIN = 0.05;
const DOC = 'docs/benchmarks.md';
const START = '<!-- handoff-heap-bench:start (written by npm run bench:handoff-heap; edits between the markers are lost) -->';
const END = '<!-- handoff-heap-bench:end -->';

interface Checkpoint {
  builds: number;
  heapMb: number;
  timelineEntries: number;
  seconds: number;
}

interface Entry {
  type: string;
  content: string;
  metadata?: Record<string, unknown>;
}

async function main(): Promise<void> {
  if (!Number.isInteger(BUILDS) || BUILDS < 10) throw new Error(`BENCH_BUILDS must be a whole number of at least 10, not ${process.env.BENCH_BUILDS}`);
  const withProfiler = process.argv.includes('--with-profiler');
  const skipDocs = process.argv.includes('--skip-docs') || withProfiler;
  const loadBefore = loadavg()[0] as number;
  const checkpoints: Checkpoint[] = [];
  const entryCount = transcript().length;
  // Cached briefs live in Redis; one second keeps 10,000 of them from piling up there.
  await withProbedBaton('handoff-heap', { BATON_BRIEF_CACHE_TTL_SECONDS: '1' }, ['--expose-gc'], async (baton) => {
    const clients: Client[] = [];
    try {
      if (withProfiler) await baton.ask({ type: 'profiler', enabled: true });
      for (let i = 0; i < CLIENTS; i++) {
        clients.push(await connectMcpClient(new StreamableHTTPClientTransport(baton.url), `bench-heap-${i}`));
      }
      const first = clients[0] as Client;
      const registered = await first.callTool({ name: 'register_session', arguments: { agentId: 'bench-agent', title: 'Heap soak: bug-hunt transcript', repository: { branch: 'main' } } });
      const sessionKey = (registered.structuredContent as { sessionKey: string }).sessionKey;
      for (const entry of transcript()) {
        const result = await first.callTool({ name: 'update_context', arguments: { sessionKey, ...entry } });
        if (result.isError) throw new Error(`seeding failed: ${JSON.stringify(result.structuredContent)}`);
      }
      const started = performance.now();
      const heap = async (builds: number) => {
        const reply = await baton.ask({ type: 'heap' });
        if (reply.type !== 'heap') throw new Error(`unexpected probe reply ${reply.type}`);
        const point = { builds, heapMb: reply.heapUsed / 1e6, timelineEntries: reply.marks, seconds: (performance.now() - started) / 1000 };
        checkpoints.push(point);
        process.stderr.write(`${String(builds).padStart(6)} builds  heap after GC ${point.heapMb.toFixed(2)} MB  timeline entries ${point.timelineEntries}  ${point.seconds.toFixed(0)} s\n`);
      };
      await heap(0);
      let next = 0;
      const build = async (client: Client): Promise<void> => {
        for (;;) {
          const n = next++;
          if (n >= BUILDS) return;
          // A budget no earlier read used: the cache key names it, so this is a build.
          await client.readResource({ uri: `handoff://sessions/${sessionKey}/summary?tokenBudget=${FIRST_BUDGET + n}` });
          if ((n + 1) % CHECKPOINT === 0) await heap(n + 1);
        }
      };
      await Promise.all(clients.map(build));
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    }
  });
  checkpoints.sort((a, b) => a.builds - b.builds);
  const section = render({ at: new Date().toISOString(), withProfiler, entryCount, checkpoints, load: [loadBefore, loadavg()[0] as number] });
  process.stdout.write(`${section}\n`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/handoff-heap${withProfiler ? '-with-profiler' : ''}.json`, `${JSON.stringify({ builds: BUILDS, withProfiler, entryCount, checkpoints }, null, 2)}\n`);
  if (!skipDocs) writeDoc(section);
}

// A realistic ledger (todos closed, decisions superseded, errors and
// attempts): the start of the bug-hunt transcript, small enough that 10,000
// builds take minutes. Refs only point back, so a prefix is whole.
function transcript(): Entry[] {
  return readFileSync('test/fixtures/transcripts/bug-hunt.jsonl', 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, SESSION_ENTRIES)
    .map((line) => JSON.parse(line) as Entry);
}

function render(r: { at: string; withProfiler: boolean; entryCount: number; checkpoints: Checkpoint[]; load: number[] }): string {
  const base = r.checkpoints.find((c) => c.builds >= CHECKPOINT) as Checkpoint;
  const last = r.checkpoints.at(-1) as Checkpoint;
  const growth = (last.heapMb - base.heapMb) / base.heapMb;
  const perBuildKb = ((last.heapMb - base.heapMb) * 1000) / (last.builds - base.builds);
  const verdict = Math.abs(growth) <= FLAT_WITHIN ? 'flat' : 'NOT flat';
  return [
    `Last run: ${r.at}, \`npm run bench:handoff-heap${r.withProfiler ? ' -- --with-profiler' : ''}\`; ${cpus().length} cores, Node ${process.version}; 1-minute load average ${r.load[0]?.toFixed(1)} before and ${r.load[1]?.toFixed(1)} after. ${last.builds} summary builds of a ${r.entryCount}-entry session (each with a token budget no earlier read used, so none came from the cache), ${CLIENTS} clients at once, in ${last.seconds.toFixed(0)} s.`,
    '',
    '| builds | heap after GC (MB) | performance timeline entries |',
    '| ---: | ---: | ---: |',
    ...r.checkpoints.map((c) => `| ${c.builds} | ${c.heapMb.toFixed(2)} | ${c.timelineEntries} |`),
    '',
    `From ${base.builds} to ${last.builds} builds the heap after GC went from ${base.heapMb.toFixed(2)} MB to ${last.heapMb.toFixed(2)} MB (${(growth * 100).toFixed(1)}%, ${perBuildKb.toFixed(2)} KB per build): **${verdict}** (target: within ${FLAT_WITHIN * 100}%).`,
  ].join('\n');
}

function writeDoc(section: string): void {
  writeDocSection(DOC, { start: START, end: END, title: '## Heap over 10,000 handoff builds (issue #8)' }, section);
  process.stdout.write(`updated ${DOC}\n`);
}

await main();
