// The longest event-loop block that adversarial text causes (issue #8): runs
// with no spaces, digits, base64, CJK, emoji ZWJ sequences, repeated
// patterns, newlines, long URLs, up to the entry size limit.
//
// 1. Live: `baton serve` (built dist/) as a child process with
//    bench/support/loop-probe.js loaded, which keeps a 1 ms
//    monitorEventLoopDelay histogram. Per kind of text: update_context at
//    16 KiB, 64 KiB and 255 KiB; an entry whose metadata.files holds a
//    200 KB path; the session summary; request_handoff with 20,000
//    characters of instructions and a 64,000-token budget. The worst delay
//    seen during each call is its longest block, whatever caused it.
// 2. In process: the token counter on each kind at 255 KiB (longest gap
//    between two turns of the event loop, CPU), the tokenizer on the whole
//    text at 16 KiB (what Baton did before), and the counter against the
//    tokenizer's exact count over this repository's text files.
//
//   npm run bench:event-loop   (BATON_BENCH_DATABASE_URL, BATON_BENCH_REDIS_URL; -- --skip-docs)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

import { TEXT_KINDS, fit } from 'bench/support/adversarial-text.js';
import { writeDocSection } from 'bench/support/doc-section.js';
import { withProbedBaton } from 'bench/support/probed-baton.js';
import { countTextTokens, countTextTokensAsync } from 'src/platform/tokens/token-counter.js';
import { connectMcpClient } from 'test/support/mcp-client.js';

const KIB = 1024;
// The default BATON_MAX_ENTRY_BYTES is 256 KiB; 255 KiB leaves room for metadata.
const SIZES = [16 * KIB, 64 * KIB, 255 * KIB];
const PATH_BYTES = 200_000;
const INSTRUCTIONS_CHARS = 20_000;
const HANDOFF_BUDGET = 64_000;
const TARGET_MS = 50;
const DOC = 'docs/benchmarks.md';
const RESULTS = 'bench/results/event-loop.json';
const START = '<!-- event-loop-bench:start (written by npm run bench:event-loop; edits between the markers are lost) -->';
const END = '<!-- event-loop-bench:end -->';

interface LiveRow {
  kind: string;
  step: string;
  bytes: number;
  // CPU the process used between two ticks of a 1 ms timer, at most.
  busiestCpuMs: number;
  // The timer's worst lateness, which also counts time other processes held the cores.
  worstBlockMs: number;
  callMs: number;
  outcome: string;
}

interface CounterRow {
  kind: string;
  bytes: number;
  tokens: number;
  worstGapMs: number;
  worstGapCpuMs: number;
  cpuMs: number;
  wholeTextMs16k: number;
}

interface Accuracy {
  files: number;
  exactTokens: number;
  pieceTokens: number;
  filesDiffering: number;
  worstFile: { path: string; exact: number; pieces: number } | null;
}

async function main(): Promise<void> {
  if (!existsSync('dist/main.js')) throw new Error('dist/ is missing: run `npm run build` first');
  const skipDocs = process.argv.includes('--skip-docs');
  const loadBefore = loadavg()[0] as number;
  const live = await liveRun();
  const counter = await counterRun();
  const accuracy = accuracyRun();
  const loadAfter = loadavg()[0] as number;
  const results = { at: new Date().toISOString(), node: process.version, cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', load: [loadBefore, loadAfter], live, counter, accuracy };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  const section = render(results);
  process.stdout.write(`${section}\n`);
  if (!skipDocs) writeDoc(section);
}

async function liveRun(): Promise<LiveRow[]> {
  const rows: LiveRow[] = [];
  await withProbedBaton('event-loop', {}, [], async (baton) => {
    const client = await connectMcpClient(new StreamableHTTPClientTransport(baton.url), 'bench-event-loop');
    try {
      // One call with the probe reset before it: its longest block.
      const measure = async (kind: string, step: string, bytes: number, call: () => Promise<string>): Promise<void> => {
        await baton.ask({ type: 'reset' });
        const started = performance.now();
        const outcome = await call();
        const callMs = performance.now() - started;
        const reply = await baton.ask({ type: 'delay' });
        if (reply.type !== 'delay') throw new Error(`unexpected probe reply ${reply.type}`);
        rows.push({ kind, step, bytes, busiestCpuMs: reply.busiestCpuMs, worstBlockMs: reply.maxMs, callMs, outcome });
        process.stderr.write(`${kind.padEnd(12)} ${step.padEnd(38)} ${String(bytes).padStart(7)} B  busiest ${reply.busiestCpuMs.toFixed(1).padStart(6)} ms CPU  late ${reply.maxMs.toFixed(1).padStart(6)} ms  call ${callMs.toFixed(0).padStart(6)} ms  ${outcome}\n`);
      };
      for (const kind of TEXT_KINDS) {
        const registered = await client.callTool({ name: 'register_session', arguments: { agentId: 'bench-agent', title: fit(kind.make(512), 512).slice(0, 512) } });
        const sessionKey = (registered.structuredContent as { sessionKey: string }).sessionKey;
        for (const bytes of SIZES) {
          await measure(kind.name, 'update_context', bytes, () => outcomeOf(client.callTool({ name: 'update_context', arguments: { sessionKey, type: 'note', content: kind.make(bytes) } })));
        }
        await measure(kind.name, 'update_context, path in metadata.files', PATH_BYTES, () =>
          outcomeOf(client.callTool({ name: 'update_context', arguments: { sessionKey, type: 'code_change', content: 'Touched one file.', metadata: { files: [kind.make(PATH_BYTES)] } } })),
        );
        await measure(kind.name, 'summary read (default budget)', 0, () => client.readResource({ uri: `handoff://sessions/${sessionKey}/summary` }).then(() => 'ok'));
        const instructions = kind.make(INSTRUCTIONS_CHARS).slice(0, INSTRUCTIONS_CHARS);
        await measure(kind.name, `request_handoff (${HANDOFF_BUDGET} tokens)`, Buffer.byteLength(instructions), () =>
          outcomeOf(client.callTool({ name: 'request_handoff', arguments: { sessionKey, targetAgent: 'codex@bench', type: 'context_transfer', instructions, tokenBudget: HANDOFF_BUDGET } })),
        );
      }
    } finally {
      await client.close().catch(() => undefined);
    }
  });
  return rows;
}

async function counterRun(): Promise<CounterRow[]> {
  const rows: CounterRow[] = [];
  for (const kind of TEXT_KINDS) {
    const text = kind.make(SIZES.at(-1) as number);
    const { value: tokens, worstGapMs, worstGapCpuMs, cpuMs } = await watchLoop(() => countTextTokensAsync(text));
    const sample = kind.make(16 * KIB);
    const started = performance.now();
    countTokens(sample, { disallowedSpecial: new Set<string>() });
    rows.push({ kind: kind.name, bytes: Buffer.byteLength(text), tokens, worstGapMs, worstGapCpuMs, cpuMs, wholeTextMs16k: performance.now() - started });
    process.stderr.write(`counter ${kind.name.padEnd(12)} ${tokens} tokens, longest gap ${worstGapCpuMs.toFixed(1)} ms CPU (${worstGapMs.toFixed(1)} ms wall), CPU ${cpuMs.toFixed(0)} ms\n`);
  }
  return rows;
}

// The longest time, and CPU time, between two turns of the event loop while `work` runs.
async function watchLoop<T>(work: () => Promise<T>): Promise<{ value: T; worstGapMs: number; worstGapCpuMs: number; cpuMs: number }> {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let worst = 0;
  let worstCpu = 0;
  let running = true;
  const turn = () => {
    const now = performance.now();
    const used = process.cpuUsage(lastCpu);
    worst = Math.max(worst, now - last);
    worstCpu = Math.max(worstCpu, (used.user + used.system) / 1000);
    last = now;
    lastCpu = process.cpuUsage();
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  running = false;
  turn();
  return { value, worstGapMs: worst, worstGapCpuMs: worstCpu, cpuMs: (used.user + used.system) / 1000 };
}

function accuracyRun(): Accuracy {
  const files = execFileSync('git', ['ls-files', '*.md', '*.ts', '*.jsonl', '*.json', '*.sql', '*.mjs', '*.cjs', '*.prisma'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const result: Accuracy = { files: 0, exactTokens: 0, pieceTokens: 0, filesDiffering: 0, worstFile: null };
  let worst = 0;
  for (const path of files) {
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    const exact = countTokens(text, { disallowedSpecial: new Set<string>() });
    const pieces = countTextTokens(text);
    result.files++;
    result.exactTokens += exact;
    result.pieceTokens += pieces;
    if (exact !== pieces) {
      result.filesDiffering++;
      const off = Math.abs(exact - pieces) / exact;
      if (off > worst) {
        worst = off;
        result.worstFile = { path, exact, pieces };
      }
    }
  }
  return result;
}

async function outcomeOf(call: Promise<Record<string, unknown>>): Promise<string> {
  const result = await call;
  if (result.isError !== true) return 'ok';
  return (result.structuredContent as { error?: { code?: string } } | undefined)?.error?.code ?? 'error';
}

type Results = { at: string; node: string; cores: number; cpu: string; load: number[]; live: LiveRow[]; counter: CounterRow[]; accuracy: Accuracy };

function render(r: Results): string {
  const worst = r.live.reduce((max, row) => Math.max(max, row.busiestCpuMs), 0);
  const over = r.live.filter((row) => row.busiestCpuMs > TARGET_MS);
  const byKind = new Map<string, LiveRow[]>();
  for (const row of r.live) byKind.set(row.kind, [...(byKind.get(row.kind) ?? []), row]);
  // update_context rows differ by size; the others by step only.
  const keyOf = (row: LiveRow) => (row.step === 'update_context' ? `${row.step}|${row.bytes}` : row.step);
  const steps = [...new Set(r.live.map(keyOf))];
  const stepLabel = (key: string) => {
    const [step, bytes] = key.split('|');
    return step === 'update_context' ? `update_context ${Number(bytes) / KIB} KiB` : step === 'update_context, path in metadata.files' ? `200 KB path in metadata.files` : (step as string);
  };
  const kinds = TEXT_KINDS.map((k) => k.name);
  const cell = (kind: string, key: string) => {
    const row = byKind.get(kind)?.find((x) => keyOf(x) === key);
    return row ? `${row.busiestCpuMs.toFixed(0)} / ${row.worstBlockMs.toFixed(0)}${row.outcome === 'ok' ? '' : ` (${row.outcome})`}` : '';
  };
  const a = r.accuracy;
  return [
    `Last run: ${r.at}, \`npm run bench:event-loop\`; ${r.cores} cores (${r.cpu}), Node ${r.node}; 1-minute load average ${r.load[0]?.toFixed(1)} before and ${r.load[1]?.toFixed(1)} after (the machine is shared: other processes' work also delays the event loop).`,
    '',
    `**Live \`baton serve\`: longest event-loop block during each call, in ms: CPU / wall.** CPU is the most CPU time the process used between two ticks of a 1 ms timer (the work done without a break, which other processes cannot inflate); wall is the timer's worst lateness (monitorEventLoopDelay), which also counts time other processes held the cores. Target: at most ${TARGET_MS} ms. Longest by CPU: **${worst.toFixed(1)} ms**; ${over.length === 0 ? 'no call above the target' : `${over.length} calls above the target: ${over.map((o) => `${o.kind} ${stepLabel(keyOf(o))} ${o.busiestCpuMs.toFixed(1)} ms`).join('; ')}`}.`,
    '',
    `| step | ${kinds.join(' | ')} |`,
    `| --- | ${kinds.map(() => '---:').join(' | ')} |`,
    ...steps.map((key) => `| ${stepLabel(key)} | ${kinds.map((k) => cell(k, key)).join(' | ')} |`),
    '',
    `**Token counter in process, 255 KiB of each kind**: the longest gap between two turns of the event loop while \`countTextTokensAsync\` counts (CPU / wall), the count's whole CPU time, and, for comparison, the tokenizer on the whole text at only 16 KiB (one synchronous call, as Baton counted before).`,
    '',
    '| kind | tokens | longest gap ms, CPU / wall | CPU ms in all | whole-text tokenizer at 16 KiB, ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...r.counter.map((c) => `| ${c.kind} | ${c.tokens} | ${c.worstGapCpuMs.toFixed(1)} / ${c.worstGapMs.toFixed(1)} | ${c.cpuMs.toFixed(0)} | ${c.wholeTextMs16k.toFixed(0)} |`),
    '',
    `**Exactness on ordinary text**: over the ${a.files} text files of this repository, the counter gives ${a.pieceTokens} tokens against the tokenizer's exact ${a.exactTokens} on each whole file (${a.filesDiffering} files differ${a.worstFile ? `; the most, relatively, \`${a.worstFile.path}\`: ${a.worstFile.pieces} against ${a.worstFile.exact}` : ''}).`,
  ].join('\n');
}

function writeDoc(section: string): void {
  writeDocSection(DOC, { start: START, end: END, title: '## Event-loop blocks under adversarial text (issue #8)' }, section);
  process.stdout.write(`updated ${DOC}\n`);
}

await main();
