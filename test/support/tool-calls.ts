import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

export interface ToolOutcome<T = Record<string, unknown>> {
  isError: boolean;
  structured: T;
  text: string;
}

export async function callTool<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown>): Promise<ToolOutcome<T>> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as { type: string; text?: string }[];
  return { isError: result.isError === true, structured: result.structuredContent as T, text: content.map((c) => c.text ?? '').join('\n') };
}

export async function callOk<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const outcome = await callTool<T>(client, name, args);
  if (outcome.isError) throw new Error(`${name} failed: ${outcome.text}`);
  return outcome.structured;
}

export async function callError(client: Client, name: string, args: Record<string, unknown>): Promise<{ code: string; message: string }> {
  const outcome = await callTool<{ error: { code: string; message: string } }>(client, name, args);
  if (!outcome.isError) throw new Error(`${name} was expected to fail but returned ${outcome.text}`);
  expectTextMirrorsError(outcome);
  return outcome.structured.error;
}

function expectTextMirrorsError(outcome: ToolOutcome<{ error: { code: string; message: string } }>): void {
  if (!outcome.text.includes(outcome.structured.error.code) || !outcome.text.includes(outcome.structured.error.message)) {
    throw new Error(`error text does not carry the structured error: ${outcome.text}`);
  }
}

export async function readJson<T = Record<string, unknown>>(client: Client, uri: string): Promise<T> {
  const result = await client.readResource({ uri });
  const first = result.contents[0] as { text: string; mimeType?: string };
  return JSON.parse(first.text) as T;
}
