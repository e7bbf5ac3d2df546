import { countTokens, decode, encode, isWithinTokenLimit } from 'gpt-tokenizer/encoding/o200k_base';

// Every token figure Baton stores or budgets is counted with this one
// tokenizer (o200k_base, the encoding of current OpenAI models), so entry
// counts and package budgets agree.
export const TOKENIZER_NAME = 'o200k_base';

// Text that spells a special token (e.g. "<|endoftext|>") is ordinary text
// here: the tokenizer would otherwise throw on it.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text, AS_TEXT);
}

export function fitsInTokens(text: string, limit: number): boolean {
  return text.length === 0 || isWithinTokenLimit(text, limit, AS_TEXT) !== false;
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
  const tokens = encode(text, AS_TEXT);
  if (tokens.length <= maxTokens) return { text, tokens: tokens.length, clipped: false };
  const cut = decode(tokens.slice(0, maxTokens)).replace(/\uFFFD+$/u, '');
  return { text: cut, tokens: maxTokens, clipped: true };
}
