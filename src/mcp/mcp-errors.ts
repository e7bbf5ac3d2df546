import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

import { DomainError } from 'src/platform/errors/domain-error.js';
import { boundDetails, boundMessage, echo } from 'src/platform/input/input-guard.js';
import type { BatonErrorCode } from 'src/features/baton-error-code.js';

export const RESOURCE_NOT_FOUND = -32002;
export const INTERNAL_ERROR_CODE = 'INTERNAL';

// Every tool's error result carries this as structuredContent.
export const ErrorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. SESSION_NOT_FOUND'),
    message: z.string().describe('What was wrong and how to fix it'),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

export interface ToolErrorResult {
  [key: string]: unknown;
  isError: true;
  content: { type: 'text'; text: string }[];
  structuredContent: ErrorEnvelope;
}

// Every error result goes through here, so no message repeats caller input unbounded.
export function toolError(code: string, message: string, details?: Record<string, unknown>): ToolErrorResult {
  const bounded = boundMessage(message);
  const envelope: ErrorEnvelope = { error: { code, message: bounded, ...(details ? { details: boundDetails(details) } : {}) } };
  return { isError: true, content: [{ type: 'text', text: `Error ${code}: ${bounded}` }], structuredContent: envelope };
}

// Issues named in an INVALID_ARGUMENT message; the rest are counted.
const ISSUES_SHOWN = 10;

export function invalidArgumentsError(toolName: string, issues: { path: PropertyKey[]; message: string }[]): ToolErrorResult {
  const problems = issues.slice(0, ISSUES_SHOWN).map((issue) => `${issue.path.length > 0 ? issue.path.map(echo).join('.') : '(arguments)'}: ${echo(issue.message)}`);
  const more = issues.length > ISSUES_SHOWN ? `; and ${issues.length - ISSUES_SHOWN} more` : '';
  return toolError('INVALID_ARGUMENT', `Invalid arguments for ${toolName}: ${problems.join('; ')}${more}.`, { issues: problems });
}

// A JSON-RPC error whose message goes on the wire as written. (The SDK's
// McpError prefixes its message with "MCP error <code>:", which clients then
// prefix again.)
export class ProtocolError extends Error {
  readonly data?: Record<string, unknown>;

  constructor(
    readonly code: number,
    message: string,
    data?: Record<string, unknown>,
  ) {
    super(boundMessage(message));
    this.data = data ? boundDetails(data) : undefined;
    this.name = 'ProtocolError';
  }
}

// Domain errors found while reading a resource become JSON-RPC errors: the
// subject is missing (-32002) or the request itself is malformed (-32602).
export function toResourceReadError(error: DomainError): ProtocolError {
  const code = error.code as BatonErrorCode;
  switch (code) {
    case 'SESSION_NOT_FOUND':
      return new ProtocolError(RESOURCE_NOT_FOUND, error.message, { code });
    case 'ANALYSIS_NOT_FOUND':
    case 'HANDOFF_NOT_FOUND':
    case 'SESSION_PURGED':
      return new ProtocolError(RESOURCE_NOT_FOUND, error.message, { code });
    case 'INVALID_ARGUMENT':
    case 'ENTRY_TOO_LARGE':
    case 'PATH_NOT_ALLOWED':
      return new ProtocolError(ErrorCode.InvalidParams, error.message, { code });
    case 'UNAVAILABLE':
      return new ProtocolError(ErrorCode.InternalError, error.message, { code, ...error.details });
    case 'AGENT_NOT_ALLOWED':
    case 'INSUFFICIENT_SCOPE':
    case 'RATE_LIMITED':
    case 'OVERLOADED':
    case 'TOO_MANY_SESSIONS':
      return new ProtocolError(ErrorCode.InvalidRequest, error.message, { code, ...error.details });
    case 'SESSION_EXISTS':
    case 'SESSION_READ_ONLY':
    case 'SESSION_HANDED_OFF':
    case 'HANDOFF_NOT_FOR_AGENT':
    case 'HANDOFF_ALREADY_PENDING':
    case 'HANDOFF_INVALID_STATE':
      return new ProtocolError(ErrorCode.InternalError, error.message, { code });
    default:
      return assertNever(code);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

function assertNever(value: never): never {
  throw new Error(`unmapped error code ${String(value)}`);
}
