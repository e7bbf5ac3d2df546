import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

// Replaces the block between `start` and `end` in the benchmarks document
// (added at the end when missing), leaving every other section as it is.
export function writeDocSection(doc: string, start: string, end: string, body: string): void {
  const section = `${start}\n${body}\n${end}`;
  const current = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
  const at = current.indexOf(start);
  const until = current.indexOf(end);
  writeFileSync(doc, at !== -1 && until > at ? current.slice(0, at) + section + current.slice(until + end.length) : `${current.trimEnd()}\n\n${section}\n`);
}

// Runs a benchmark's main and exits non-zero with its error when it fails.
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

// The flags every server benchmark takes: `--skip-docs`, a trial run that
// leaves the docs as they are, and `--profile`, which also writes V8 CPU
// profiles of the servers to bench/.cache/profiles (a profiled run is slower,
// so its figures stay out of the docs too).
export function benchFlags(): { profile: boolean; writeDocs: boolean; profileArgs: string[] } {
  const { values } = parseArgs({ options: { profile: { type: 'boolean', default: false }, 'skip-docs': { type: 'boolean', default: false } } });
  return {
    profile: values.profile,
    writeDocs: !values.profile && !values['skip-docs'],
    profileArgs: values.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/.cache/profiles'] : [],
  };
}
