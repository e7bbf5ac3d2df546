import { Injectable } from '@nestjs/common';

import { PrismaService } from 'src/platform/database/prisma.service.js';
import type { StoredLedgerState } from 'src/features/context/ledger-state.codec.js';

export interface StoredLedger {
  throughSequence: number;
  state: unknown;
}

@Injectable()
export class LedgerStateRepository {
  constructor(private readonly prisma: PrismaService) {}

  async find(sessionId: string): Promise<StoredLedger | null> {
    const rows = await this.prisma.$queryRaw<{ through_sequence: number; state: unknown }[]>`
      SELECT through_sequence, state FROM ledger_states WHERE session_id = ${sessionId}::uuid`;
    const row = rows[0];
    return row ? { throughSequence: row.through_sequence, state: row.state } : null;
  }

  // Only moves forward: two processes bringing the same state up to date
  // write the same value, and an older one never replaces a newer one. A
  // stored state of another version is replaced whatever its sequence.
  async save(sessionId: string, state: StoredLedgerState): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO ledger_states (session_id, through_sequence, state, updated_at)
      SELECT ${sessionId}::uuid, ${state.lastSequence}::int, ${JSON.stringify(state)}::jsonb, now()
      WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ${sessionId}::uuid AND status <> 'purged')
      ON CONFLICT (session_id) DO UPDATE SET through_sequence = excluded.through_sequence, state = excluded.state, updated_at = excluded.updated_at
      WHERE ledger_states.through_sequence < excluded.through_sequence OR (ledger_states.state->>'version')::int IS DISTINCT FROM ${state.version}::int`;
  }

  // Sessions with entries whose state is missing or of another version: the
  // ones a backfill rebuilds.
  async withoutCurrentState(version: number, limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT s.id FROM sessions s
      LEFT JOIN ledger_states l ON l.session_id = s.id
      WHERE s.status <> 'purged' AND s.last_sequence > 0 AND (l.session_id IS NULL OR (l.state->>'version')::int IS DISTINCT FROM ${version}::int)
      ORDER BY s.id
      LIMIT ${limit}::int`;
    return rows.map((row) => row.id);
  }
}
