import { z } from 'zod';

import { ENTRY_TYPES, type EntryRecord } from 'src/features/context/context.types.js';

export const EntryViewSchema = z.object({
  sequence: z.number().int(),
  entryId: z.string(),
  type: z.enum(ENTRY_TYPES),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  tokenCount: z.number().int(),
  contentHash: z.string(),
  createdAt: z.string(),
});
export type EntryView = z.infer<typeof EntryViewSchema>;

export function toEntryView(entry: EntryRecord): EntryView {
  return {
    sequence: entry.sequence,
    entryId: entry.id,
    type: entry.type,
    content: entry.content,
    metadata: entry.metadata,
    tokenCount: entry.tokenCount,
    contentHash: entry.contentHash,
    createdAt: entry.createdAt.toISOString(),
  };
}

export const contextUri = (sessionKey: string): string => `handoff://sessions/${encodeURIComponent(sessionKey)}/context`;
