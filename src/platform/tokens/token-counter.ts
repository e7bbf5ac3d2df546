import { createRequire } from 'node:module';

import type * as O200k from 'gpt-tokenizer/encoding/o200k_base';

// The o200k_base table takes about 0.2 s to load: it is loaded by the first
// count, not at start. Synchronously, so counting stays a plain function.
type Tokenizer = typeof O200k;
const require = createRequire(import.meta.url);
let tokenizer: Tokenizer | undefined;

function o200k(): Tokenizer {
  tokenizer ??= require('gpt-tokenizer/cjs/encoding/o200k_base') as Tokenizer;
  return tokenizer;
}

// Every token figure Baton stores or budgets is counted with this one
// tokenizer (o200k_base, the encoding of current OpenAI models), so entry
// counts and package budgets agree.
export const TOKENIZER_NAME = 'o200k_base';

// Text that spells a special token (e.g. "<|endoftext|>") is ordinary text
// here: the tokenizer would otherwise throw on it.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : o200k().countTokens(text, AS_TEXT);
}

export function fitsInTokens(text: string, limit: number): boolean {
  return text.length === 0 || o200k().isWithinTokenLimit(text, limit, AS_TEXT) !== false;
}

// The longest prefix of `text` of at most `maxTokens` tokens. Decoding a cut
// token list can end in half a character, which is dropped.
export function truncateToTokens(text: string, maxTokens: number): string {
  return clipToTokens(text, maxTokens).text;
}

// `text` cut to at most `maxTokens` tokens (see truncateToTokens), with its
// token count, from one pass of the tokenizer.
export function clipToTokens(text: string, maxTokens: number): { text: string; tokens: number; clipped: boolean } {
  if (text.length === 0 || maxTokens <= 0) return { text: '', tokens: 0, clipped: text.length > 0 };
  const tokens = o200k().encode(text, AS_TEXT);
  if (tokens.length <= maxTokens) return { text, tokens: tokens.length, clipped: false };
  const cut = o200k().decode(tokens.slice(0, maxTokens)).replace(/\uFFFD+$/u, '');
  return { text: cut, tokens: maxTokens, clipped: true };
}
