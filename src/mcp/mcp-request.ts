import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

import { ProtocolError } from 'src/mcp/mcp-errors.js';
import { echo, textProblem } from 'src/platform/input/input-guard.js';

// The SDK answers a request whose params break its schema with -32603 and a
// dump of zod issues. Wrapped in this, the schema answers -32602 with a
// sentence instead (its params are checked first, inside the SDK's parse).
export function plainParamErrors<S extends z.ZodObject>(schema: S): S {
  const shape = schema.shape as { method: z.ZodLiteral<string>; params: z.ZodType };
  const method = shape.method.value;
  return schema.extend({
    params: z.unknown().optional().transform((params) => {
      const parsed = shape.params.safeParse(params);
      if (parsed.success) return parsed.data;
      throw new ProtocolError(ErrorCode.InvalidParams, describeParamsIssue(method, params, parsed.error.issues[0]));
    }),
  }) as unknown as S;
}

function describeParamsIssue(method: string, params: unknown, issue: z.core.$ZodIssue | undefined): string {
  const path = issue?.path ?? [];
  const where = ['params', ...path.map(echo)].join('.');
  const value = path.reduce<unknown>((holder, key) => (typeof holder === 'object' && holder !== null ? (holder as Record<PropertyKey, unknown>)[key] : undefined), params);
  if (method === 'tools/call' && path.length === 1 && path[0] === 'arguments') {
    return `Invalid tools/call request: params.arguments must be a JSON object of the tool's named arguments, e.g. {"sessionKey": "..."}, not ${kindOf(value)}. Send {} for a tool without arguments.`;
  }
  return `Invalid ${method} request: ${where} ${value === undefined ? 'is missing' : `cannot be ${kindOf(value)}`} (${echo(issue?.message ?? 'invalid')}).`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// A resource URI split into its path (still percent-encoded, for template
// matching) and its query, decoded strictly: a malformed escape, a NUL or a
// lone surrogate anywhere is the caller's error (-32602), never a crash and
// never silently replaced.
export function parseResourceUri(uri: string): { path: string; query: URLSearchParams } {
  const problem = textProblem(uri);
  if (problem) throw new ProtocolError(ErrorCode.InvalidParams, `The URI ${problem}.`);
  const split = uri.indexOf('?');
  const path = split === -1 ? uri : uri.slice(0, split);
  const query = new URLSearchParams();
  if (split !== -1) {
    for (const pair of uri.slice(split + 1).split('&')) {
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      const name = decodeUriPart((equals === -1 ? pair : pair.slice(0, equals)).replaceAll('+', ' '), 'a query parameter name');
      query.append(name, decodeUriPart(equals === -1 ? '' : pair.slice(equals + 1).replaceAll('+', ' '), name));
    }
  }
  return { path, query };
}

// One percent-encoded part of a URI (a template variable or a query value).
export function decodeUriPart(encoded: string, name: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw new ProtocolError(ErrorCode.InvalidParams, `${echo(name)} in the URI has malformed percent-encoding ("${echo(encoded)}"): every % must start an escape of UTF-8 bytes such as %40; write a literal % as %25.`);
  }
  const problem = textProblem(decoded);
  if (problem) throw new ProtocolError(ErrorCode.InvalidParams, `${echo(name)} in the URI ${problem}.`);
  return decoded;
}
