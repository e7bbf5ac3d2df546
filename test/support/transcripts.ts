import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const TRANSCRIPTS = ['bug-hunt', 'feature', 'refactor', 'pinned-constraint'] as const;
export type TranscriptName = (typeof TRANSCRIPTS)[number];

export interface TranscriptEntry {
  type: string;
  content: string;
  metadata?: Record<string, unknown>;
}

// What the story left current, as written down by the fixture generator.
export interface TranscriptExpectations {
  title: string;
  entries: number;
  openTodos: number[];
  closedTodos: number[];
  decisionsInForce: number[];
  supersededDecisions: number[];
  lastUnresolvedError: number | null;
  unresolvedErrors: number[];
  touchedFiles: string[];
  // Messages and notes marked metadata.pinned.
  pinnedMessages: number[];
}

export function loadTranscript(name: TranscriptName): { entries: TranscriptEntry[]; expected: TranscriptExpectations } {
  const dir = resolve('test/fixtures/transcripts');
  const entries = readFileSync(`${dir}/${name}.jsonl`, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as TranscriptEntry);
  const expected = JSON.parse(readFileSync(`${dir}/${name}.expected.json`, 'utf8')) as TranscriptExpectations;
  return { entries, expected };
}

// The Markdown lines of one "## <title>" section of a package.
export function markdownSection(markdown: string, title: string): string {
  const start = markdown.split('\n## ').find((part) => part.startsWith(title));
  return start ?? '';
}
