import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { createReferenceTable } from 'bench/reference/reference-table.js';
import { busyShare, fmt, meanOf, medianRatio, roundOptions, sideBySideRound, type RoundResult } from 'bench/support/append-rounds.js';
import { BatonProcess, migrate } from 'bench/support/baton-process.js';
import { benchDatabaseUrl, dropDatabase } from 'bench/support/bench-database.js';
import { ReferenceProcess } from 'bench/support/reference-process.js';

// `npm run bench:builds -- --baseline DIR`: update_context at concurrency 8
// against `baton serve` of this checkout and of another build (DIR holds its
// dist/main.js, e.g. a `git worktree` of an earlier commit after `npm run
// build`), and the reference server, side by side in every round
// (sideBySideRound), with the settings of bench:update-context (default
// telemetry, that is the Prometheus metrics; log level warn). What it answers:
// did a change move Baton's CPU per call, and Baton's ratio to the reference
// measured in the same slices of the machine's time. Sequential runs cannot
// tell a change of a few percent from the machine's drift. A CLI: output
// goes to stdout.
const options = roundOptions({ baseline: { type: 'string' } });
const baselineDir = options.extra.baseline;
const baselineMain = baselineDir === undefined ? undefined : resolve(baselineDir, 'dist/main.js');
if (baselineMain !== undefined && !existsSync(baselineMain)) {
  process.stderr.write(`--baseline ${baselineDir}: no dist/main.js there; build that checkout first (npm run build).\n`);
  process.exit(2);
}

const MODES = baselineMain === undefined ? (['this build', 'reference'] as const) : (['baseline', 'this build', 'reference'] as const);
type Mode = (typeof MODES)[number];
type Round = RoundResult & { mode: Mode };

function measureRound(round: number, env: Record<string, string>): Promise<Round[]> {
  mkdirSync('bench/.cache', { recursive: true });
  const profile = (mode: Mode): string[] => (options.profile ? ['--cpu-prof', `--cpu-prof-dir=bench/.cache/profiles/builds-${mode.replaceAll(' ', '-')}`] : []);
  const setups = MODES.map((mode) => ({
    mode,
    start: () =>
      mode === 'reference'
        ? ReferenceProcess.start(env.DATABASE_URL as string, profile(mode))
        : BatonProcess.start(env, `bench/.cache/builds-${mode.replaceAll(' ', '-')}.log`, profile(mode), undefined, mode === 'baseline' ? baselineMain : undefined),
    // The reference server has no sessions to register.
    worker: async () => (mode === 'reference' ? {} : { agentId: 'bench' }),
  }));
  return sideBySideRound<Mode>(round, setups, options);
}

const { name, url } = benchDatabaseUrl(options.adminUrl);
const env = { DATABASE_URL: url, REDIS_URL: options.redisUrl, BATON_REDIS_PREFIX: `bench-builds-${Date.now().toString(36)}`, BATON_LOG_LEVEL: 'warn' };
await migrate(env);
await createReferenceTable(url);
const rounds: Round[] = [];
try {
  for (let r = 0; r < options.rounds; r++) rounds.push(...(await measureRound(r, env)));
} finally {
  await dropDatabase(options.adminUrl, name);
}

const cpu = (r: Round): number | null => r.batonCpuMsPerOp;
process.stdout.write(
  `update_context, concurrency ${options.concurrency}, ${options.rounds} rounds; in each, ${MODES.join(', ')} side by side, ${options.durationMs / 1000} s each in slices of ${options.sliceMs / 1000} s taking turns${baselineDir === undefined ? '' : `; baseline: ${baselineDir}`}\n\n`,
);
process.stdout.write('| round | server | ops/s | p50 ms | p99 ms | failed calls | server CPU ms/op | other load on the machine |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n');
rounds.forEach((r, i) => process.stdout.write(`| ${Math.floor(i / MODES.length) + 1} | ${r.mode} | ${fmt(r.throughput)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${r.errors} | ${fmt(r.batonCpuMsPerOp, 3)} | ${busyShare(r.othersBusy)} |\n`));
const ratio = (mode: Mode, base: Mode): string => `${fmt(meanOf(rounds, mode, cpu) / meanOf(rounds, base, cpu), 3)} (median of the rounds ${fmt(medianRatio(rounds, mode, base, cpu), 3)})`;
process.stdout.write(`\nServer CPU per call, this build / reference: ${ratio('this build', 'reference')} (target: at most 2.0).\n`);
if (baselineMain !== undefined) {
  process.stdout.write(`Server CPU per call, baseline / reference: ${ratio('baseline', 'reference')}.\n`);
  process.stdout.write(`Server CPU per call, this build / baseline: ${ratio('this build', 'baseline')}.\n`);
}
