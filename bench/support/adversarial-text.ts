// Text shaped to be expensive for a tokenizer or a regular expression:
// long runs with no break, where byte-pair merging and backtracking searches
// grow faster than the text. Seeded, so every run measures the same input.
export interface TextKind {
  name: string;
  description: string;
  // At most `bytes` UTF-8 bytes.
  make(bytes: number): string;
}

const PROSE =
  'The refresh token race shows up only under load: two tabs call refresh at once, the second request reuses the first token, and the API answers 401. ' +
  'We decided to keep one refresh promise per session and await it in session.ts; the tests now use real timers. ';

export const TEXT_KINDS: TextKind[] = [
  { name: 'prose', description: 'English prose (the control)', make: (bytes) => fit(PROSE.repeat(Math.ceil(bytes / PROSE.length)), bytes) },
  { name: 'x-run', description: '"x" repeated, no spaces', make: (bytes) => 'x'.repeat(bytes) },
  { name: 'digits', description: 'random digits, no spaces', make: (bytes) => randomFrom('0123456789', bytes, 1) },
  { name: 'base64', description: 'a base64 blob', make: (bytes) => fit(Buffer.from(randomFrom('abcdefghijklmnopqrstuvwxyz0123456789ABCDEF', bytes, 2)).toString('base64'), bytes) },
  { name: 'cjk', description: 'random CJK characters, no punctuation', make: (bytes) => randomFrom('漢字仮名交じり文中国語日本語部署迁移脚本版本字段启动失败', bytes, 3) },
  { name: 'emoji-zwj', description: 'emoji ZWJ sequences and skin tones', make: (bytes) => fit('👩‍👩‍👧‍👦👍🏽🧑‍💻🏳️‍🌈'.repeat(Math.ceil(bytes / 40)), bytes) },
  { name: 'ab1!-repeat', description: '"ab1!" repeated', make: (bytes) => fit('ab1!'.repeat(Math.ceil(bytes / 4)), bytes) },
  { name: 'dotted-run', description: '"a." repeated (a long host-like run)', make: (bytes) => fit('a.'.repeat(Math.ceil(bytes / 2)), bytes) },
  { name: 'newlines', description: 'newlines only', make: (bytes) => '\n'.repeat(bytes) },
  { name: 'long-url', description: 'one URL with a long path and query', make: (bytes) => fit(`https://example.com/${randomFrom('abcdefghijklmnopqrstuvwxyz0123456789/.-_?=&%', bytes, 4)}`, bytes) },
  { name: 'symbols', description: 'random symbols, no spaces', make: (bytes) => randomFrom('=-*#~^+<>|', bytes, 5) },
];

// Random characters from `alphabet`, the same for the same seed.
function randomFrom(alphabet: string, bytes: number, seed: number): string {
  const chars = [...alphabet];
  let state = seed * 7919;
  const out: string[] = [];
  let size = 0;
  for (;;) {
    state = (state * 48271) % 2147483647;
    const char = chars[state % chars.length] as string;
    const charBytes = Buffer.byteLength(char, 'utf8');
    if (size + charBytes > bytes) break;
    out.push(char);
    size += charBytes;
  }
  return out.join('');
}

// `text` cut to at most `bytes` UTF-8 bytes, on a character boundary.
export function fit(text: string, bytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= bytes) return text;
  return Buffer.from(text, 'utf8').subarray(0, bytes).toString('utf8').replace(/\uFFFD+$/u, '');
}
