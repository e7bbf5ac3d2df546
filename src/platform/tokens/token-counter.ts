import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

// Every token figure Baton stores or budgets is counted with this one
// tokenizer (o200k_base, the encoding of current OpenAI models), so entry
// counts and package budgets agree.
export const TOKENIZER_NAME = 'o200k_base';

export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}
