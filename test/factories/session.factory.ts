import { randomBytes } from 'node:crypto';

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

import { callOk } from 'test/support/tool-calls.js';

export function sessionKey(label = 'session'): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

export async function registerSession(client: Client, overrides: Record<string, unknown> = {}): Promise<string> {
  const result = await callOk<{ sessionKey: string }>(client, 'register_session', {
    sessionKey: sessionKey(),
    agentId: 'agent-under-test',
    title: 'Fix the flaky login test',
    repository: { root: '/srv/app', branch: 'main', commit: 'a1b2c3d4e5f6' },
    ...overrides,
  });
  return result.sessionKey;
}
