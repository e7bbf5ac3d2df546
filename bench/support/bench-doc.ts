import { existsSync, readFileSync, writeFileSync } from 'node:fs';

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
