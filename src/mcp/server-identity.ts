import type { Implementation, ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';

import { BATON_VERSION } from 'src/config/version.js';

// What Baton tells a client in its answer to `initialize`. Shared by the
// server (McpServerFactory) and the stdio handshake that answers before the
// application has loaded, so both give the same answer.
export const SERVER_INFO: Implementation = { name: 'baton', title: 'Baton', version: BATON_VERSION };

export const SERVER_CAPABILITIES: ServerCapabilities = { tools: { listChanged: false }, resources: { subscribe: true, listChanged: true }, completions: {} };

export const SERVER_INSTRUCTIONS = [
  'Baton keeps a coding session\'s state across agents and hands it over.',
  'Start with register_session, record what happens with update_context (decisions, todos, code changes, errors, ...),',
  'read it back with get_context or the handoff://sessions/{sessionKey}/context resource, and subscribe to that resource to hear of new entries.',
  'To pass the work on, request_handoff; to pick work up, subscribe to handoff://agents/{yourAgentId}/handoffs, then list_handoffs and accept_handoff.',
].join(' ');
