import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
const url = new URL(process.argv[2]);
for (let i = 0; i < 60; i++) { try { const r = await fetch(new URL('/health/ready', url)); if (r.ok) break; } catch {} await new Promise(r => setTimeout(r, 500)); }
const c = new Client({ name: 't', version: '1' });
await c.connect(new StreamableHTTPClientTransport(url));
const key = 's-' + Date.now();
await c.callTool({ name: 'register_session', arguments: { sessionKey: key, agentId: 'a' } });
for (let i = 0; i < 5; i++) await c.callTool({ name: 'update_context', arguments: { sessionKey: key, type: 'note', content: 'n' + i } });
await c.callTool({ name: 'update_context', arguments: { sessionKey: 'nope', type: 'note', content: 'n' } });
const h = await c.callTool({ name: 'request_handoff', arguments: { sessionKey: key, targetAgent: 'b', type: 'context_transfer' } });
await c.callTool({ name: 'accept_handoff', arguments: { handoffId: h.structuredContent.handoffId, agentId: 'b' } });
await c.readResource({ uri: `handoff://sessions/${key}/summary` });
await c.close();
