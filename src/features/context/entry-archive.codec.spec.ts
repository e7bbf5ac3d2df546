import { createHash } from 'node:crypto';

import type { EntryRecord } from 'src/features/context/context.types.js';
import { CHUNK_MAX_ENTRIES, packEntries, unpackChunk } from 'src/features/context/entry-archive.codec.js';

function entries(count: number, size = 200): EntryRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const content = `entry ${i + 1} ${'the session token refresh races the login test '.repeat(Math.ceil(size / 48))}`.slice(0, size);
    return {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      sequence: i + 1,
      type: i % 3 === 0 ? 'decision' : 'note',
      content,
      metadata: i % 5 === 0 ? { refs: [i], files: ['a.ts'] } : {},
      tokenCount: 40,
      contentHash: createHash('sha256').update(content).digest('hex'),
      idempotencyKey: i % 7 === 0 ? `key-${i}` : null,
      createdAt: new Date(Date.UTC(2026, 10, 22, 0, 0, i)),
    };
  });
}

describe('entry archive codec', () => {
  it('round-trips every field, recomputing the content hash', async () => {
    const original = entries(300);
    const chunks = await packEntries(original);
    const restored = (await Promise.all(chunks.map((chunk) => unpackChunk(chunk.payload)))).flat();
    expect(restored).toEqual(original);
  });

  it('cuts consecutive chunks of at most CHUNK_MAX_ENTRIES entries, listing the types in each', async () => {
    const chunks = await packEntries(entries(CHUNK_MAX_ENTRIES * 2 + 10));
    expect(chunks.map((c) => [c.firstSequence, c.lastSequence, c.entryCount])).toEqual([
      [1, 256, 256],
      [257, 512, 256],
      [513, 522, 10],
    ]);
    expect(chunks[0]?.types.sort()).toEqual(['decision', 'note']);
  });

  it('cuts by size too, so one chunk of huge entries stays around a megabyte', async () => {
    const chunks = await packEntries(entries(40, 100_000));
    expect(chunks.length).toBeGreaterThan(3);
    expect(Math.max(...chunks.map((c) => c.rawBytes))).toBeLessThan(1_200_000);
  });

  it('compresses ledger text several times over', async () => {
    const [chunk] = await packEntries(entries(200));
    expect(chunk?.payload.byteLength).toBeLessThan((chunk?.rawBytes ?? 0) / 4);
  });

  it('refuses a chunk of an unknown format version instead of misreading it', async () => {
    const { brotliCompressSync } = await import('node:zlib');
    await expect(unpackChunk(brotliCompressSync(Buffer.from(JSON.stringify({ v: 99, entries: [] }))))).rejects.toThrow('format version 99');
  });
});
