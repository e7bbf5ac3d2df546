import { boundDetails, boundMessage, echo, jsonProblem, MAX_ARGUMENT_DEPTH, MESSAGE_LIMIT, textProblem } from 'src/platform/input/input-guard.js';

describe('textProblem', () => {
  it('accepts ordinary text, paired surrogates and U+FFFD', () => {
    expect(textProblem('plain ascii, accents é, emoji \ud83d\ude00, replacement \ufffd')).toBeUndefined();
  });

  it('refuses NUL and lone or reversed surrogates, saying where', () => {
    expect(textProblem('a\u0000b')).toContain('NUL');
    expect(textProblem('end \ud800')).toContain('surrogate (\\ud800 at position 4)');
    expect(textProblem('\udc00\ud800')).toContain('\\udc00');
    expect(textProblem('\ud800x')).toContain('surrogate');
  });
});

describe('jsonProblem', () => {
  it('finds bad text in values and keys at any depth, naming the path', () => {
    expect(jsonProblem({ metadata: { files: ['ok', 'b\u0000'] } })).toEqual({ path: 'metadata.files.1', problem: expect.stringContaining('NUL') });
    expect(jsonProblem({ metadata: [{ ['k\ud800']: 1 }] })).toEqual({ path: 'metadata.0', problem: expect.stringMatching(/^has a key that contains a lone/) });
    expect(jsonProblem({ a: 1, b: [true, null, 2.5], c: { d: 'fine' } })).toBeUndefined();
  });

  it('refuses nesting beyond the limit without recursion, even 100,000 levels deep', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = { d: [deep] };
    expect(jsonProblem({ metadata: deep })).toEqual({ path: expect.stringContaining('metadata.d.0.d'), problem: `is nested more than ${MAX_ARGUMENT_DEPTH} levels deep; flatten it` });
    let fine: unknown = 'bottom';
    for (let i = 0; i < MAX_ARGUMENT_DEPTH; i++) fine = { d: fine };
    expect(jsonProblem(fine)).toBeUndefined();
    expect(jsonProblem({ d: fine })).toMatchObject({ problem: expect.stringContaining('nested') });
  });
});

describe('echo and bounds', () => {
  it('repeats short input as is and cuts long input, saying how long it was', () => {
    expect(echo('short')).toBe('short');
    expect(echo('x'.repeat(300_000))).toBe(`${'x'.repeat(200)}... (300000 characters)`);
  });

  it('cuts messages and detail strings that slipped through', () => {
    expect(boundMessage('y'.repeat(50_000))).toHaveLength(MESSAGE_LIMIT);
    expect(boundMessage('fine')).toBe('fine');
    expect(boundDetails({ key: 'z'.repeat(1000), list: Array.from({ length: 50 }, () => 'v'), size: 7 })).toEqual({ key: expect.stringMatching(/^z{200}\.\.\. \(1000 characters\)$/), list: Array.from({ length: 20 }, () => 'v'), size: 7 });
  });
});
