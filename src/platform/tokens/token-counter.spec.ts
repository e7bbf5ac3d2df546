import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { decoder } from 'gpt-tokenizer/BytePairEncodingCore';
import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';

import { clipToTokens, countTextTokens, countTextTokensAsync, fitsInTokens, truncateToTokens } from 'src/platform/tokens/token-counter.js';

// The library's own count of the whole text at once: the reference.
const exact = (text: string) => countTokens(text, { disallowedSpecial: new Set<string>() });

// Ordinary text of several kinds: this project's docs and sources, agent
// transcripts, and prose in scripts without spaces between words.
function ordinaryTexts(): { name: string; text: string }[] {
  const files = [
    'README.md',
    'src/features/handoffs/package.builder.ts',
    'src/features/context/ledger-state.reducer.ts',
    ...readdirSync('test/fixtures/transcripts')
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => join('test/fixtures/transcripts', f)),
  ];
  return [
    ...files.map((name) => ({ name, text: readFileSync(name, 'utf8') })),
    { name: 'Japanese', text: '吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。'.repeat(40) },
    { name: 'Chinese', text: '我们在部署之前必须先运行迁移脚本，否则新版本会因为缺少字段而启动失败。'.repeat(60) },
    { name: 'emoji and ZWJ sequences', text: 'Release 🎉 shipped by 👩‍💻 and 👨‍👩‍👧‍👦, reviewed 👍🏽. '.repeat(80) },
    { name: 'minified JSON', text: JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ id: i, path: `src/module-${i}/index.ts`, ok: i % 3 === 0 }))) },
  ];
}

describe('token counter', () => {
  it('counts text that spells a special token as ordinary text instead of throwing', () => {
    expect(countTextTokens('hello <|endoftext|> world')).toBeGreaterThan(3);
  });

  it.each(ordinaryTexts())('counts $name exactly as the tokenizer does over the whole text', ({ text }) => {
    expect(countTextTokens(text)).toBe(exact(text));
  });

  it('counts a 200,000-character run without spaces (one pre-token) as eight "x" a token', () => {
    // Whole, this run took the tokenizer 22 s.
    expect(countTextTokens('x'.repeat(200_000))).toBe(25_000);
  });

  it('counts a long run in a short text as it counts one in a long text', () => {
    // Text up to 16 KiB is split in one go, longer text lazily: each cuts its long runs.
    expect(countTextTokens(`${'x'.repeat(8_000)} done`)).toBe(1_000 + countTextTokens(' done'));
  });

  it.each([16_383, 16_384, 16_385])('counts the first %i characters of the README exactly, on either side of splitting in one go', (length) => {
    const text = readFileSync('README.md', 'utf8').slice(0, length);
    expect(countTextTokens(text)).toBe(exact(text));
  });

  it.each([
    ['letters', 'abcdefghijklmnopqrstuvwxyz'],
    ['CJK', '漢字仮名交じり文中国語日本語'],
    ['symbols', '=-*#~^+<>|'],
  ])('stays within 1%% of the exact count on a long run of random %s', (_kind, alphabet) => {
    const chars = [...alphabet];
    let seed = 7;
    let text = '';
    while (text.length < 4000) {
      seed = (seed * 48271) % 2147483647;
      text += chars[seed % chars.length];
    }
    const reference = exact(text);
    expect(Math.abs(countTextTokens(text) - reference)).toBeLessThanOrEqual(Math.ceil(reference / 100));
  });

  it('counts a pre-token repeated through a long text as fast after many distinct words as before them', () => {
    // The tokenizer's own cache made each repeat slower the fuller it was:
    // 255 KiB of "ab1!" took about 2 s once it held many words.
    let seed = 11;
    const words: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      let word = ' ';
      for (let j = 0; j < 9; j++) {
        seed = (seed * 48271) % 2147483647;
        word += 'qwxzjkvbpfgh'.charAt(seed % 12);
      }
      words.push(word);
    }
    countTextTokens(words.join(''));
    const started = performance.now();
    expect(countTextTokens('ab1!'.repeat(65_280))).toBe(195_840);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('never splits a surrogate pair when it cuts a long run', () => {
    const text = '😀'.repeat(5000);
    const clipped = clipToTokens(text, 100_000);
    expect(clipped.text).toBe(text);
    expect(truncateToTokens(text, 300)).not.toMatch(/\uFFFD/u);
  });

  it('counts asynchronously to the same figure, letting other callbacks run in between', async () => {
    const text = `${'x'.repeat(120_000)} ${readFileSync('README.md', 'utf8')}`;
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const counted = await countTextTokensAsync(text);
    clearInterval(ticker);
    expect(counted).toBe(countTextTokens(text));
    expect(turns).toBeGreaterThan(0);
  });

  it('truncates to at most the given number of tokens, keeping short text whole', () => {
    const text = 'The webhook sender retries three times with exponential backoff before giving up.';
    expect(truncateToTokens(text, 1000)).toBe(text);
    const cut = truncateToTokens(text, 5);
    expect(text.startsWith(cut)).toBe(true);
    expect(countTextTokens(cut)).toBeLessThanOrEqual(5);
    expect(cut.length).toBeGreaterThan(0);
  });

  it('truncates a long run without spaces to a prefix of the asked size', () => {
    const cut = clipToTokens('x'.repeat(200_000), 600);
    expect(cut).toEqual({ text: 'x'.repeat(4800), tokens: 600, clipped: true });
    expect(fitsInTokens('x'.repeat(200_000), 24_999)).toBe(false);
    expect(fitsInTokens('x'.repeat(200_000), 25_000)).toBe(true);
  });

  it('never leaves half a character at the end of a cut', () => {
    const cut = truncateToTokens('🎉🎉🎉🎉🎉🎉🎉🎉', 3);
    expect(cut).not.toMatch(/\uFFFD/u);
    expect(fitsInTokens(cut, 3)).toBe(true);
  });

  it('keeps a cut through a character from leaking into the next cut', () => {
    // "吾輩" is three tokens; the second and third each hold part of "輩".
    expect(truncateToTokens('吾輩は猫である', 2)).toBe('吾');
    expect(truncateToTokens('吾輩は猫である', 3)).toBe('吾輩');
    expect(truncateToTokens('plain text', 1)).toBe('plain');
  });

  it('clips and counts in one pass, agreeing with truncate and count', () => {
    const text = 'Streaming keeps RSS under 180 MB for 1.84M rows; the gateway still times out at 30 s.';
    const clipped = clipToTokens(text, 7);
    expect(clipped).toEqual({ text: truncateToTokens(text, 7), tokens: 7, clipped: true });
    expect(clipToTokens(text, 500)).toEqual({ text, tokens: countTextTokens(text), clipped: false });
  });

  it('cuts ordinary text exactly where the library cuts its whole tokenization', () => {
    // The library's decoder keeps the bytes of a half character for its next
    // call: they are flushed after each cut.
    const reference = (text: string, n: number) => {
      const cut = decode(encode(text, { disallowedSpecial: new Set<string>() }).slice(0, n));
      decoder.decode();
      return cut.replace(/\uFFFD+$/u, '');
    };
    for (const { name, text } of [...ordinaryTexts(), { name: 'empty', text: '' }]) {
      const sample = text.slice(0, 6_000);
      const total = exact(sample);
      for (const n of [1, 2, 7, 100, 599, total - 1, total, total + 5]) {
        expect({ name, n, cut: truncateToTokens(sample, n) }).toEqual({ name, n, cut: n >= total ? sample : reference(sample, n) });
      }
    }
  });
});
