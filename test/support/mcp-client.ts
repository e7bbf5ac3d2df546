import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

// The one way tests and benchmarks open an MCP client. Like every real agent
// it lists the tools right after connecting: from then on the SDK checks each
// tools/call result against the tool's outputSchema, so a result a real
// client would reject fails the test that received it.
export async function connectMcpClient(transport: Transport, name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  const { tools } = await client.listTools();
  const unchecked = tools.filter((tool) => tool.outputSchema === undefined).map((tool) => tool.name);
  if (unchecked.length > 0) throw new Error(`tools without an outputSchema cannot have their results checked: ${unchecked.join(', ')}`);
  return client;
}
