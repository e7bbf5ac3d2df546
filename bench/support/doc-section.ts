import { readFileSync, writeFileSync } from 'node:fs';

// Replaces the generated block between `start` and `end` in docs/benchmarks.md,
// keeping the prose around it; adds the block under `title` when it is missing.
export function writeDocSection(file: string, markers: { start: string; end: string; title: string }, section: string): void {
  const doc = readFileSync(file, 'utf8');
  const block = `${markers.start}\n${section}\n${markers.end}`;
  const start = doc.indexOf(markers.start);
  const end = doc.indexOf(markers.end);
  const next = start !== -1 && end > start ? doc.slice(0, start) + block + doc.slice(end + markers.end.length) : `${doc.trimEnd()}\n\n${markers.title}\n\n${block}\n`;
  writeFileSync(file, next);
}
