import type { SessionRecord } from 'src/features/sessions/sessions.types.js';

// A stored session as services see it, for unit specs with mocked repositories.
export function sessionRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const at = new Date('2026-11-20T10:00:00Z');
  return {
    id: 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    namespace: 'default',
    sessionKey: 'fix-login',
    agentId: 'claude@laptop',
    title: 'Fix the login test',
    status: 'active',
    repository: { branch: 'main', commit: 'a1b2c3d4' },
    metadata: {},
    lastSequence: 12,
    createdAt: at,
    lastActivityAt: at,
    expiresAt: new Date('2026-11-21T10:00:00Z'),
    archivedAt: null,
    handedOffAgentIds: [],
    tags: [],
    legalHold: false,
    ...overrides,
  };
}
