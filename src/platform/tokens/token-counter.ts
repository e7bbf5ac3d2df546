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
  if (maxTokens <= 0) return '';
  if (fitsInTokens(text, maxTokens)) return text;
  return decode(encode(text, AS_TEXT).slice(0, maxTokens)).replace(/\uFFFD+$/u, '');
}
