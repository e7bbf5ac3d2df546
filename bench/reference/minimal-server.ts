// The reference the performance figures of issue #12 are measured against:
// the least an MCP server over PostgreSQL does for update_context. One tool,
// written with the same MCP SDK as Baton, doing one parameterised INSERT with
// `pg` (no validation beyond the schemas, no ordering, no idempotency, no
// notifications). Served over stdio, or over Streamable HTTP with --http PORT.
//   node bench/.cache/<build>/bench/reference/minimal-server.js [--http PORT]
// DATABASE_URL names a database holding the reference_entries table
// (REFERENCE_TABLE_SQL of reference-table.ts; the benchmarks create it).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import pg from 'pg';
import { z } from 'zod';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

function referenceServer(): McpServer {
  const server = new McpServer({ name: 'reference', version: '1.0.0' });
  server.registerTool(
    'update_context',
    {
      description: 'Appends an entry to a session.',
      inputSchema: { sessionKey: z.string(), type: z.string(), content: z.string() },
      outputSchema: { id: z.string() },
    },
    async ({ sessionKey, type, content }) => {
      const { rows } = await pool.query<{ id: string }>('INSERT INTO reference_entries (session_key, type, content) VALUES ($1, $2, $3) RETURNING id', [sessionKey, type, content]);
      const id = rows[0]?.id ?? '';
      // Structured like Baton's results, so clients check both alike.
      return { content: [{ type: 'text', text: `appended ${id}` }], structuredContent: { id } };
    },
  );
  return server;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

async function serveHttp(port: number): Promise<void> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  createServer((request, response) => {
    void (async () => {
      const id = request.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? transports.get(id) : undefined;
      if (!transport) {
        transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void transports.set(sid, transport as StreamableHTTPServerTransport) });
        await referenceServer().connect(transport);
      }
      await transport.handleRequest(request, response, request.method === 'POST' ? await readBody(request) : undefined);
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  }).listen(port, '127.0.0.1');
}

const httpAt = process.argv.indexOf('--http');
if (httpAt >= 0) await serveHttp(Number(process.argv[httpAt + 1]));
else {
  await referenceServer().connect(new StdioServerTransport());
  // Gone with its client, as Baton is (and so a --cpu-prof profile gets written).
  process.stdin.once('end', () => process.exit(0));
}
