import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { reportListenerWarningOnce } from 'bench/support/listener-warning.js';
import { runUpdateContextBench } from 'bench/update-context.bench.js';
import { markdownSection, terminalTable, verdictLines } from 'bench/update-context.report.js';

// `npm run bench:update-context [-- options]`: builds Baton, runs the update_context
// benchmark of issue #2, prints the table, keeps the figures in
// bench/results/update-context.json and rewrites the generated part of
// docs/benchmarks.md. This is a CLI, so its output goes to stdout/stderr.
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'content-bytes': { type: 'string', default: '1024' },
    concurrency: { type: 'string', default: '1,8,32' },
    'quiet-wait': { type: 'string', default: '60' },
    // For trial runs: print and save JSON, leave docs/benchmarks.md alone.
    'skip-docs': { type: 'boolean', default: false },
    // Writes a V8 CPU profile of `baton serve` to bench/.cache/profiles.
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    [
      'npm run bench:update-context -- [--duration S] [--warmup S] [--content-bytes N] [--concurrency 1,8,32] [--quiet-wait S] [--skip-docs] [--profile]',
      'Environment: BATON_BENCH_DATABASE_URL (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres),',
      'BATON_BENCH_REDIS_URL (default redis://127.0.0.1:6379), BATON_DB_POOL_SIZE (default 20), BATON_LOG_LEVEL (default info).',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

reportListenerWarningOnce();

const RESULTS_FILE = 'bench/results/update-context.json';
const DOCS_FILE = 'docs/benchmarks.md';
const SECTION_TITLE = '## update_context (issue #2)';
const START = '<!-- bench:update-context:start (written by npm run bench:update-context; edits between the markers are lost) -->';
const END = '<!-- bench:update-context:end -->';

const seconds = (name: string, value: string, min = Number.MIN_VALUE): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > 60) throw new Error(`--${name} must be a number of seconds up to 60, not ${value}`);
  return n * 1000;
};

const args = process.argv.slice(2).join(' ');
const command = `npm run bench:update-context${args ? ` -- ${args}` : ''}`;
const results = await runUpdateContextBench({
  adminDatabaseUrl: process.env.BATON_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  poolSize: Number(process.env.BATON_DB_POOL_SIZE ?? 20),
  logLevel: process.env.BATON_LOG_LEVEL ?? 'info',
  durationMs: seconds('duration', values.duration),
  warmupMs: seconds('warmup', values.warmup),
  quietWaitMs: seconds('quiet-wait', values['quiet-wait'], 0),
  contentBytes: Number(values['content-bytes']),
  concurrencies: values.concurrency.split(',').map(Number),
  batonNodeArgs: values.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/.cache/profiles'] : [],
  progress: (line) => process.stderr.write(`${line}\n`),
});

process.stdout.write(`\n${terminalTable(results)}\n\n${verdictLines(results).join('\n')}\n`);
mkdirSync('bench/results', { recursive: true });
writeFileSync(RESULTS_FILE, `${JSON.stringify({ command, ...results }, null, 2)}\n`);
process.stdout.write(`\nwrote ${RESULTS_FILE}\n`);
if (!values['skip-docs']) {
  writeFileSync(DOCS_FILE, withSection(existsSync(DOCS_FILE) ? readFileSync(DOCS_FILE, 'utf8') : '# Benchmarks\n', markdownSection(results, command)));
  process.stdout.write(`updated ${DOCS_FILE}\n`);
}

// Replaces the generated block of the section, keeping the prose around it;
// adds the section when the file has none.
function withSection(doc: string, generated: string): string {
  const block = `${START}\n${generated}\n${END}`;
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start !== -1 && end > start) return doc.slice(0, start) + block + doc.slice(end + END.length);
  return `${doc.trimEnd()}\n\n${SECTION_TITLE}\n\n${block}\n`;
}
