import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';

import type { ArchiveChunk, EntryRecord, EntryType } from 'src/features/context/context.types.js';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);

// A chunk holds up to this many consecutive entries, or about this much
// serialised text, whichever comes first: small enough that reading one page
// of an archived session decompresses little, large enough to compress well.
export const CHUNK_MAX_ENTRIES = 256;
const CHUNK_MAX_RAW_BYTES = 1024 * 1024;

// Brotli quality 6 in text mode: within a few percent of the best ratio for
// ledger text at a tenth of the CPU of quality 9+. Runs on libuv's thread
// pool, so archiving does not stall the event loop.
const BROTLI_PARAMS = { [constants.BROTLI_PARAM_QUALITY]: 6, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT };

const FORMAT_VERSION = 1;

// Serialised tuple: id, sequence, type, content, metadata, tokenCount,
// idempotencyKey, createdAt (epoch ms). The content hash is left out: it is
// sha256(content), recomputed on read, and 64 hex characters of it would not
// compress.
type PackedEntry = [string, number, EntryType, string, Record<string, unknown>, number, string | null, number];

export async function packEntries(entries: readonly EntryRecord[]): Promise<ArchiveChunk[]> {
  const chunks: ArchiveChunk[] = [];
  let batch: PackedEntry[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const raw = Buffer.from(JSON.stringify({ v: FORMAT_VERSION, entries: batch }), 'utf8');
    const first = batch[0] as PackedEntry;
    const last = batch.at(-1) as PackedEntry;
    chunks.push({
      firstSequence: first[1],
      lastSequence: last[1],
      entryCount: batch.length,
      types: [...new Set(batch.map((e) => e[2]))],
      rawBytes: raw.length,
      payload: await compress(raw, { params: { ...BROTLI_PARAMS, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
    });
    batch = [];
    batchBytes = 0;
  };
  for (const entry of [...entries].sort((a, b) => a.sequence - b.sequence)) {
    const packed: PackedEntry = [entry.id, entry.sequence, entry.type, entry.content, entry.metadata, entry.tokenCount, entry.idempotencyKey, entry.createdAt.getTime()];
    batch.push(packed);
    batchBytes += Buffer.byteLength(entry.content, 'utf8') + 128;
    if (batch.length >= CHUNK_MAX_ENTRIES || batchBytes >= CHUNK_MAX_RAW_BYTES) await flush();
  }
  await flush();
  return chunks;
}

export async function unpackChunk(payload: Uint8Array): Promise<EntryRecord[]> {
  const raw = await decompress(payload);
  const body = JSON.parse(raw.toString('utf8')) as { v: number; entries: PackedEntry[] };
  if (body.v !== FORMAT_VERSION) throw new Error(`archived chunk has format version ${body.v}; this Baton reads version ${FORMAT_VERSION}`);
  return body.entries.map(([id, sequence, type, content, metadata, tokenCount, idempotencyKey, createdAt]) => ({
    id,
    sequence,
    type,
    content,
    metadata,
    tokenCount,
    contentHash: createHash('sha256').update(content).digest('hex'),
    idempotencyKey,
    createdAt: new Date(createdAt),
  }));
}
