import { jest } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, ListToolsResultSchema, ReadResourceResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

import type { McpRegistry } from 'src/mcp/mcp-registry.js';
import type { ResourceDefinition } from 'src/mcp/mcp-resource.js';
import { McpServerFactory } from 'src/mcp/mcp-server.factory.js';
import type { ToolDefinition } from 'src/mcp/mcp-tool.js';
import type { SubscriptionHub } from 'src/mcp/subscription-hub.js';
import { SessionError } from 'src/features/sessions/sessions.errors.js';
import { connectMcpClient } from 'test/support/mcp-client.js';
import { AccessError } from 'src/platform/access/access.errors.js';
import { localPrincipal, type Principal } from 'src/platform/access/principal.js';
import { expandScopes } from 'src/platform/access/scopes.js';
import type { AuditRecord, AuditTrail } from 'src/platform/audit/audit-trail.js';

const input = z.object({ word: z.string().min(2).describe('a word') }).strict();
const output = z.object({ echoed: z.string() });

function echoTool(execute: ToolDefinition<typeof input, typeof output>['execute']): ToolDefinition<typeof input, typeof output> {
  return {
    name: 'echo',
    title: 'Echo',
    description: 'Echoes a word',
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    scope: 'sessions:read',
    execute,
    render: (o) => `echo: ${o.echoed}`,
  };
}

const thingResource: ResourceDefinition = {
  name: 'thing',
  title: 'Thing',
  description: 'A thing',
  uriTemplate: 'test://things/{id}',
  scope: 'sessions:read',
  complete: async (_variable, value) => {
    if (value === 'broken') throw new Error('Invalid `prisma.session.findMany()` invocation');
    return ['7'];
  },
  read: async (variables) => {
    if (variables.id === 'missing') throw SessionError.notFound('missing');
    if (variables.id === 'broken') throw new Error('Invalid `prisma.$queryRaw()` invocation: 22003 integer out of range');
    return { id: variables.id };
  },
};

const audited: AuditRecord[] = [];
beforeEach(() => audited.splice(0));

async function connect(tool: ToolDefinition<typeof input, typeof output>, principal: Principal = localPrincipal('ns')): Promise<Client> {
  const registry = { tools: new Map([[tool.name, tool as unknown as ToolDefinition]]), resources: [thingResource] } as unknown as McpRegistry;
  const hub = { attach: jest.fn(() => ({ uris: new Set<string>() })), detach: jest.fn(), ready: jest.fn(async () => undefined), subscribe: jest.fn(async () => undefined) } as unknown as SubscriptionHub;
  const audit = { record: jest.fn(async (record: AuditRecord) => void audited.push(record)) } as unknown as AuditTrail;
  const server = new McpServerFactory(registry, hub, audit).create({ principal, source: 'test' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  return connectMcpClient(clientSide, 'unit');
}

describe('McpServerFactory', () => {
  it('lists tools with JSON Schema input, an output schema that admits the error envelope, and annotations', async () => {
    const client = await connect(echoTool(async ({ word }) => ({ echoed: word })));
    const [tool] = (await client.listTools()).tools;
    expect(tool?.inputSchema).toMatchObject({ type: 'object', properties: { word: { type: 'string', minLength: 2, description: 'a word' } }, additionalProperties: false });
    expect(tool?.outputSchema?.anyOf).toHaveLength(2);
    expect(tool?.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
  });

  it('returns structured content with a text rendering', async () => {
    const client = await connect(echoTool(async ({ word }) => ({ echoed: word })));
    const result = await client.callTool({ name: 'echo', arguments: { word: 'hello' } });
    expect(result).toMatchObject({ structuredContent: { echoed: 'hello' }, content: [{ type: 'text', text: 'echo: hello' }] });
  });

  it('turns schema violations into INVALID_ARGUMENT naming the field', async () => {
    const execute = jest.fn(async () => ({ echoed: 'x' }));
    const client = await connect(echoTool(execute));
    const result = await client.callTool({ name: 'echo', arguments: { word: 'x', extra: 1 } });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/word: .*extra|extra.*word/s) } });
    expect(execute).not.toHaveBeenCalled();
  });

  it('turns domain errors into error results with their code, and hides internal failures', async () => {
    const failing = await connect(echoTool(async () => Promise.reject(SessionError.notFound('k'))));
    expect((await failing.callTool({ name: 'echo', arguments: { word: 'hi' } })).structuredContent).toMatchObject({ error: { code: 'SESSION_NOT_FOUND' } });
    const crashing = await connect(echoTool(async () => Promise.reject(new Error('connection string postgres://secret'))));
    const result = await crashing.callTool({ name: 'echo', arguments: { word: 'hi' } });
    expect(result.structuredContent).toMatchObject({ error: { code: 'INTERNAL' } });
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it('answers an unknown tool with a JSON-RPC error listing the tools', async () => {
    const client = await connect(echoTool(async ({ word }) => ({ echoed: word })));
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('available tools: echo') });
  });

  it('answers -32002 for URIs that match no template and for missing subjects', async () => {
    const client = await connect(echoTool(async ({ word }) => ({ echoed: word })));
    expect(JSON.parse(((await client.readResource({ uri: "test://things/7" })).contents[0] as { text: string }).text)).toEqual({ id: '7' });
    await expect(client.readResource({ uri: 'test://other/7' })).rejects.toMatchObject({ code: -32002 });
    await expect(client.readResource({ uri: 'test://things/missing' })).rejects.toMatchObject({ code: -32002, message: expect.not.stringContaining('MCP error -32002: MCP error') });
  });

  it('answers a failed resource read or completion with -32603 and a plain message, never the driver\'s', async () => {
    const client = await connect(echoTool(async ({ word }) => ({ echoed: word })));
    const attempt = client.readResource({ uri: 'test://things/broken' });
    await expect(attempt).rejects.toMatchObject({ code: -32603, message: expect.stringContaining('internal error') });
    await expect(attempt).rejects.toMatchObject({ message: expect.not.stringMatching(/prisma|22003|queryRaw/) });
    const completion = client.complete({ ref: { type: 'ref/resource', uri: 'test://things/{id}' }, argument: { name: 'id', value: 'broken' } });
    await expect(completion).rejects.toMatchObject({ code: -32603, message: expect.not.stringMatching(/prisma/) });
  });

  it('answers params of the wrong shape with -32602 and a sentence instead of a zod dump', async () => {
    const client = await connect(echoTool(async ({ word }) => ({ echoed: word })));
    for (const args of [null, [], 'str', 5]) {
      await expect(client.request({ method: 'tools/call', params: { name: 'echo', arguments: args as never } }, CallToolResultSchema)).rejects.toMatchObject({
        code: -32602,
        message: expect.stringMatching(/Invalid tools\/call request: params\.arguments must be a JSON object/),
      });
    }
    await expect(client.request({ method: 'resources/read', params: { uri: 5 as never } }, ReadResourceResultSchema)).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('params.uri cannot be a number') });
    await expect(client.request({ method: 'tools/list', params: { cursor: 5 as never } }, ListToolsResultSchema)).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('params.cursor') });
  });

  it('records every refusal in the audit trail with the tool or resource and the scope or agent, and nothing else', async () => {
    const reader: Principal = { kind: 'oauth', credentialId: 'oauth:r', namespace: 'ns', agents: ['r'], scopes: expandScopes(['audit:read']) };
    const narrow = await connect(echoTool(async ({ word }) => ({ echoed: word })), reader);
    await expect(narrow.callTool({ name: 'echo', arguments: { word: 'hi' } })).resolves.toMatchObject({ isError: true, structuredContent: { error: { code: 'INSUFFICIENT_SCOPE' } } });
    await expect(narrow.readResource({ uri: 'test://things/7' })).rejects.toMatchObject({ code: -32600 });
    const impostor = await connect(echoTool(async () => Promise.reject(AccessError.agentNotAllowed(reader, 'someone-else', 'append'))));
    await expect(impostor.callTool({ name: 'echo', arguments: { word: 'hi' } })).resolves.toMatchObject({ structuredContent: { error: { code: 'AGENT_NOT_ALLOWED' } } });
    await impostor.callTool({ name: 'echo', arguments: { word: 'x' } });
    expect(audited).toEqual([
      expect.objectContaining({ action: 'access.denied', outcome: 'denied', target: 'echo', credentialId: 'oauth:r', namespace: 'ns', source: 'test', detail: { code: 'INSUFFICIENT_SCOPE', requiredScope: 'sessions:read' } }),
      expect.objectContaining({ action: 'access.denied', target: 'test://things/7', detail: { code: 'INSUFFICIENT_SCOPE', requiredScope: 'sessions:read' } }),
      expect.objectContaining({ action: 'access.denied', target: 'echo', agentId: 'someone-else', credentialId: 'local', detail: { code: 'AGENT_NOT_ALLOWED' } }),
    ]);
  });
});
