import { clipToTokens, countTextTokens, fitsInTokens, truncateToTokens } from 'src/platform/tokens/token-counter.js';

describe('token counter', () => {
  it('counts text that spells a special token as ordinary text instead of throwing', () => {
    expect(countTextTokens('hello <|endoftext|> world')).toBeGreaterThan(3);
  });

  it('truncates to at most the given number of tokens, keeping short text whole', () => {
    const text = 'The webhook sender retries three times with exponential backoff before giving up.';
    expect(truncateToTokens(text, 1000)).toBe(text);
    const cut = truncateToTokens(text, 5);
    expect(text.startsWith(cut)).toBe(true);
    expect(countTextTokens(cut)).toBeLessThanOrEqual(5);
    expect(cut.length).toBeGreaterThan(0);
  });

  it('never leaves half a character at the end of a cut', () => {
    const cut = truncateToTokens('🎉🎉🎉🎉🎉🎉🎉🎉', 3);
    expect(cut).not.toMatch(/\uFFFD/u);
    expect(fitsInTokens(cut, 3)).toBe(true);
  });

  it('clips and counts in one pass, agreeing with truncate and count', () => {
    const text = 'Streaming keeps RSS under 180 MB for 1.84M rows; the gateway still times out at 30 s.';
    const clipped = clipToTokens(text, 7);
    expect(clipped).toEqual({ text: truncateToTokens(text, 7), tokens: 7, clipped: true });
    expect(clipToTokens(text, 500)).toEqual({ text, tokens: countTextTokens(text), clipped: false });
  });
});
