import { setImmediate as nextTurn } from 'node:timers/promises';

import { createRequire } from 'node:module';

import type * as O200k from 'gpt-tokenizer/encoding/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';

// Every token figure Baton stores or budgets is counted with this one
// tokenizer (o200k_base, the encoding of current OpenAI models), so entry
// counts and package budgets agree.
export const TOKENIZER_NAME = 'o200k_base';

// Text that spells a special token (e.g. "<|endoftext|>") is ordinary text
// here: the tokenizer would otherwise throw on it.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

// The tokenizer splits text into pre-tokens (a word, a run of digits, of
// symbols or of whitespace) and byte-pair merges each one in time quadratic in
// its length: 200,000 "x" took 22 s. So text is tokenized pre-token by
// pre-token, which leaves the count unchanged, and a pre-token longer than
// MAX_RUN_BYTES (in UTF-8) is cut into runs of at most that size. Only such cuts can change the count, by a token
// or two each; ordinary prose and code rarely have pre-tokens that long
// (docs/benchmarks.md gives the measured difference).
const MAX_RUN_BYTES = 256;
// countTextTokensAsync gives the event loop a turn after this much text or time.
const SLICE_CHARS = 16_384;
const SLICE_MS = 8;

// The tokenizer's own cache moves an entry to the back of a Map on every hit
// (delete, then set), and in V8 such a hit costs time that grows with the
// cache: counting 255 KiB of "ab1!" repeated took 2 s of CPU. Baton keeps its
// own cache of counts by pre-token instead, emptied when full.
// The o200k_base table takes about 0.2 s to load: it is loaded by the first
// count, not at start. Synchronously, so counting stays a plain function.
type Tokenizer = typeof O200k;
const require = createRequire(import.meta.url);
let tokenizer: Tokenizer | undefined;

let streamDecoder: { decode(): string } | undefined;

function o200k(): Tokenizer {
  if (!tokenizer) {
    tokenizer = require('gpt-tokenizer/cjs/encoding/o200k_base') as Tokenizer;
    tokenizer.setMergeCacheSize(0);
    streamDecoder = (require('gpt-tokenizer/cjs/BytePairEncodingCore') as { decoder: { decode(): string } }).decoder;
  }
  return tokenizer;
}

// The tokenizer decodes with one TextDecoder shared by every call, in
// streaming mode: the bytes of a character that a cut split in two stayed in
// it and came out at the start of the next decode, whatever its text
// ("吾輩" cut after one token, then "吾輩は" read "吾�輩"). The decoder is
// flushed after each decode, and half a character at the end is dropped.
function decode(tokens: number[]): string {
  try {
    return o200k().decode(tokens).replace(/\uFFFD+$/u, '');
  } finally {
    streamDecoder?.decode();
  }
}

const RUN_CACHE_SIZE = 10_000;
let runCounts = new Map<string, number>();

export function countTextTokens(text: string): number {
  let total = 0;
  for (const run of runs(text)) total += countRun(run);
  return total;
}

// The same count as countTextTokens, for text up to an entry's full size:
// other requests are served between slices of the work.
export async function countTextTokensAsync(text: string): Promise<number> {
  let total = 0;
  let sliceChars = 0;
  let sliceRuns = 0;
  let sliceStart = performance.now();
  for (const run of runs(text)) {
    total += countRun(run);
    sliceChars += run.length;
    // The clock is read after every long pre-token (a cut run of 256 bytes
    // of CJK costs up to a few milliseconds) and every 16 short ones.
    if (sliceChars >= SLICE_CHARS || ((run.length > 32 || ++sliceRuns % 16 === 0) && performance.now() - sliceStart >= SLICE_MS)) {
      await nextTurn();
      sliceChars = 0;
      sliceStart = performance.now();
    }
  }
  return total;
}

export function fitsInTokens(text: string, limit: number): boolean {
  let total = 0;
  for (const run of runs(text)) {
    total += countRun(run);
    if (total > limit) return false;
  }
  return true;
}

// The longest prefix of `text` of at most `maxTokens` tokens. Decoding a cut
// token list can end in half a character, which is dropped.
export function truncateToTokens(text: string, maxTokens: number): string {
  return clipToTokens(text, maxTokens).text;
}

// `text` cut to at most `maxTokens` tokens (see truncateToTokens), with its
// token count. Pre-tokens are counted (mostly from the cache) up to the one
// the cut falls in, and only that one is tokenized and decoded: a text's
// tokens are its pre-tokens' tokens in turn.
export function clipToTokens(text: string, maxTokens: number): { text: string; tokens: number; clipped: boolean } {
  if (text.length === 0 || maxTokens <= 0) return { text: '', tokens: 0, clipped: text.length > 0 };
  let total = 0;
  // The pre-tokens cover the text end to end, so the run's start is the
  // length of those before it.
  let start = 0;
  for (const run of runs(text)) {
    const count = countRun(run);
    if (total + count > maxTokens) {
      const head = total < maxTokens ? decode(o200k().encode(run, AS_TEXT).slice(0, maxTokens - total)) : '';
      return { text: text.slice(0, start) + head, tokens: maxTokens, clipped: true };
    }
    total += count;
    start += run.length;
  }
  return { text, tokens: total, clipped: false };
}

function countRun(run: string): number {
  let count = runCounts.get(run);
  if (count === undefined) {
    count = o200k().countTokens(run, AS_TEXT);
    if (runCounts.size >= RUN_CACHE_SIZE) runCounts = new Map();
    // A match is a view into the whole text and would keep it alive in the
    // cache; the key is a copy.
    runCounts.set(` ${run}`.slice(1), count);
  }
  return count;
}

// Text up to this length is split in one go (String#match: only the
// strings, a quarter of what matchAll allocates with its match objects and
// iterator results, per entry appended); longer text lazily, so
// countTextTokensAsync can yield between its slices.
const SPLIT_AT_ONCE_CHARS = SLICE_CHARS;

// The pre-tokens of `text`, those longer than MAX_RUN_BYTES cut.
function runs(text: string): Iterable<string> {
  if (text.length > SPLIT_AT_ONCE_CHARS) return lazyRuns(text);
  const split = text.match(O200K_TOKEN_SPLIT_REGEX) ?? [];
  return split.some(tooLong) ? split.flatMap((run) => (tooLong(run) ? [...cutRun(run, 0, run.length)] : run)) : split;
}

function* lazyRuns(text: string): Generator<string> {
  for (const match of text.matchAll(O200K_TOKEN_SPLIT_REGEX)) {
    const run = match[0];
    if (tooLong(run)) yield* cutRun(run, 0, run.length);
    else yield run;
  }
}

function tooLong(run: string): boolean {
  return run.length * 3 > MAX_RUN_BYTES && Buffer.byteLength(run, 'utf8') > MAX_RUN_BYTES;
}

// text[start, end) in runs of at most MAX_RUN_BYTES UTF-8 bytes, never
// splitting a surrogate pair.
function* cutRun(text: string, start: number, end: number): Generator<string> {
  let from = start;
  let bytes = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    const lowSurrogate = code >= 0xdc00 && code <= 0xdfff;
    // A surrogate pair is 4 bytes: 2 for each half.
    const size = code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 2 : 3;
    if (bytes + size > MAX_RUN_BYTES && !lowSurrogate) {
      yield text.slice(from, i);
      from = i;
      bytes = 0;
    }
    bytes += size;
  }
  yield text.slice(from, end);
}
