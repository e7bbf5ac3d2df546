import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { CallToolResultSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

import { copySampleProject, type CodebaseCopy } from 'test/support/codebase-fixture.js';
import { connectHttpClient, startHttpBaton, type RunningHttpBaton } from 'test/support/baton-app.js';

// Real results of every tool, success and error, checked against the tool's
// listed outputSchema by the validator the SDK's Client uses and by a draft
// 2020-12 validator. Clients that have listed tools (every real agent)
// reject a result its schema does not admit, so a mismatch here is a result
// no agent could read.

interface Call {
  tool: string;
  args: Record<string, unknown>;
  result: CallToolResult;
}

let baton: RunningHttpBaton;
let client: Client;
let project: CodebaseCopy;
let tools: Tool[];
const calls: Call[] = [];

// Keywords that mean the same to draft-07 and draft 2020-12 validators, in
// the forms checked below. Anything else (prefixItems, tuple `items`,
// additionalItems, $ref and friends, unevaluated*, dependent*) is read
// differently, or not at all, by one of them.
const PORTABLE_KEYWORDS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems', 'uniqueItems',
  'enum', 'const', 'anyOf', 'oneOf', 'allOf', 'not', 'propertyNames', 'minProperties', 'maxProperties',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'pattern', 'format',
  'title', 'description', 'default', 'examples',
]);

function portabilityProblems(schema: unknown, path: string): string[] {
  if (typeof schema === 'boolean') return [];
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [`${path}: not a schema object`];
  const problems: string[] = [];
  for (const [keyword, value] of Object.entries(schema)) {
    const at = `${path}/${keyword}`;
    if (!PORTABLE_KEYWORDS.has(keyword)) problems.push(`${at}: keyword not read alike by draft-07 and 2020-12 validators`);
    else if (keyword === 'properties') for (const [name, sub] of Object.entries(value as object)) problems.push(...portabilityProblems(sub, `${at}/${name}`));
    else if (keyword === 'items') problems.push(...(typeof value === 'object' && value !== null && !Array.isArray(value) ? portabilityProblems(value, at) : [`${at}: must be one schema (a boolean or a tuple list means different things per draft)`]));
    else if (keyword === 'additionalProperties' || keyword === 'not' || keyword === 'propertyNames') problems.push(...portabilityProblems(value, at));
    else if (keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'allOf') (value as unknown[]).forEach((sub, i) => problems.push(...portabilityProblems(sub, `${at}/${i}`)));
    else if ((keyword === 'exclusiveMinimum' || keyword === 'exclusiveMaximum') && typeof value !== 'number') problems.push(`${at}: must be a number`);
  }
  return problems;
}

function sdkClientValidator() {
  return new AjvJsonSchemaValidator();
}

function draft2020Validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormats as unknown as (instance: Ajv2020) => void)(ajv);
  return ajv;
}

async function call(tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
  // The raw result: the checks below are the point, not the Client's own.
  const result = await client.request({ method: 'tools/call', params: { name: tool, arguments: args } }, CallToolResultSchema);
  calls.push({ tool, args, result });
  return result;
}

async function ok<T = Record<string, unknown>>(tool: string, args: Record<string, unknown>): Promise<T> {
  const result = await call(tool, args);
  if (result.isError) throw new Error(`${tool} failed: ${JSON.stringify(result.structuredContent)}`);
  return result.structuredContent as T;
}

async function fails(tool: string, args: Record<string, unknown>, code: string): Promise<void> {
  const result = await call(tool, args);
  expect({ tool, isError: result.isError, structuredContent: result.structuredContent }).toMatchObject({ tool, isError: true, structuredContent: { error: { code } } });
}

beforeAll(async () => {
  project = copySampleProject();
  baton = await startHttpBaton({ BATON_ALLOWED_ROOTS: project.root });
  client = await connectHttpClient(baton.url, 'output-schemas');
  tools = (await client.listTools()).tools;

  const { sessionKey } = await ok<{ sessionKey: string }>('register_session', { agentId: 'claude-code@laptop', title: 'Output contract', repository: { root: project.root, branch: 'main', commit: 'a1b2c3d' }, tags: ['contract'] });
  await fails('register_session', { sessionKey, agentId: 'claude-code@laptop' }, 'SESSION_EXISTS');

  // A ledger whose package must leave entries out: a superseded decision, a closed todo, chatter.
  const first = await ok<{ sequence: number }>('update_context', { sessionKey, type: 'decision', content: 'Store exports in S3', agentId: 'claude-code@laptop' });
  await ok('update_context', { sessionKey, type: 'decision', content: 'Stream exports instead of storing them', metadata: { refs: [first.sequence] } });
  const todo = await ok<{ sequence: number }>('update_context', { sessionKey, type: 'todo', content: 'Add the export endpoint' });
  await ok('update_context', { sessionKey, type: 'todo', content: 'Endpoint added', metadata: { refs: [todo.sequence], status: 'done' } });
  await ok('update_context', { sessionKey, type: 'code_change', content: 'Added ExportController', metadata: { files: ['src/export.controller.ts'] } });
  await ok('update_context', { sessionKey, type: 'error', content: 'TypeError: stream is not readable' });
  await ok('update_context', { sessionKey, type: 'message', content: 'Keep the CSV injection guard', metadata: { pinned: true } });
  await ok('update_context', { sessionKey, type: 'message', content: 'ok' });
  await fails('update_context', { sessionKey, type: 'thought', content: 'hmm' }, 'INVALID_ARGUMENT');

  await ok('get_context', { sessionKey, limit: 3 });
  await fails('get_context', { sessionKey: 'no-such-session' }, 'SESSION_NOT_FOUND');
  await ok('list_sessions', { limit: 1 });
  await fails('list_sessions', { cursor: 'not-a-cursor' }, 'INVALID_ARGUMENT');

  const analysis = await ok<{ analysisId: string }>('analyze_codebase', { sessionKey, root: project.root, analysisType: 'full' });
  await fails('analyze_codebase', { sessionKey, root: '/', analysisType: 'structure' }, 'PATH_NOT_ALLOWED');
  await ok('get_analysis_status', { sessionKey });
  await fails('get_analysis_status', { sessionKey, analysisId: '00000000-0000-4000-8000-000000000000' }, 'ANALYSIS_NOT_FOUND');
  await ok('cancel_analysis', { sessionKey, analysisId: analysis.analysisId });
  await fails('cancel_analysis', { sessionKey: 'no-such-session', analysisId: analysis.analysisId }, 'SESSION_NOT_FOUND');

  const offered = await ok<{ handoffId: string; package: { omitted: { ranges: unknown[] } } }>('request_handoff', { sessionKey, targetAgent: 'codex@ci', type: 'full_handoff', instructions: 'Finish the export', tokenBudget: 2000 });
  expect(offered.package.omitted.ranges.length).toBeGreaterThan(0);
  await fails('request_handoff', { sessionKey, targetAgent: 'codex@ci', type: 'full_handoff' }, 'HANDOFF_ALREADY_PENDING');
  await ok('list_handoffs', { agentId: 'codex@ci' });
  await fails('list_handoffs', { agentId: 'codex@ci', cursor: 'not-a-cursor' }, 'INVALID_ARGUMENT');
  await ok('accept_handoff', { handoffId: offered.handoffId, agentId: 'codex@ci', repository: { branch: 'main', commit: 'b2c3d4e' } });
  await fails('accept_handoff', { handoffId: '00000000-0000-4000-8000-000000000000', agentId: 'codex@ci' }, 'HANDOFF_NOT_FOUND');
  await fails('complete_handoff', { handoffId: offered.handoffId, agentId: 'someone-else' }, 'HANDOFF_NOT_FOR_AGENT');
  await ok('complete_handoff', { handoffId: offered.handoffId, agentId: 'codex@ci', outcome: 'Export shipped' });

  const declined = await ok<{ handoffId: string }>('request_handoff', { sessionKey, targetAgent: 'cursor@desk', type: 'context_transfer' });
  await fails('reject_handoff', { handoffId: declined.handoffId, agentId: 'someone-else', reason: 'Not mine' }, 'HANDOFF_NOT_FOR_AGENT');
  await ok('reject_handoff', { handoffId: declined.handoffId, agentId: 'cursor@desk', reason: 'Not my area' });
  await fails('accept_handoff', { handoffId: declined.handoffId, agentId: 'cursor@desk' }, 'HANDOFF_INVALID_STATE');

  await ok('get_lifecycle_status', {});
  await fails('get_lifecycle_status', { verbose: true }, 'INVALID_ARGUMENT');
  await ok('run_lifecycle_sweep', { waitSeconds: 1 });
  await fails('run_lifecycle_sweep', { waitSeconds: 600 }, 'INVALID_ARGUMENT');
  await ok('retry_failed_jobs', {});
  await fails('retry_failed_jobs', { jobId: '' }, 'INVALID_ARGUMENT');
  await ok('set_legal_hold', { sessionKey, hold: true, reason: 'Audit 2026-Q4' });
  await fails('set_legal_hold', { sessionKey: 'no-such-session', hold: true, reason: 'Audit' }, 'SESSION_NOT_FOUND');
  await ok('list_audit_events', { action: 'legal_hold.*', limit: 2 });
  await fails('list_audit_events', { since: 'last week' }, 'INVALID_ARGUMENT');
}, 120_000);

afterAll(async () => {
  await client?.close();
  await baton?.close();
  project?.remove();
});

describe('tool results against the listed output schemas', () => {
  it('has a real success and a real error result of every listed tool', () => {
    const names = tools.map((t) => t.name).sort();
    expect([...new Set(calls.filter((c) => !c.result.isError).map((c) => c.tool))].sort()).toEqual(names);
    expect([...new Set(calls.filter((c) => c.result.isError).map((c) => c.tool))].sort()).toEqual(names);
  });

  it('checks them with the validator the SDK Client uses unless told otherwise', () => {
    expect((client as unknown as { _jsonSchemaValidator: unknown })._jsonSchemaValidator).toBeInstanceOf(AjvJsonSchemaValidator);
  });

  it('passes every result through the SDK client validator (draft-07 Ajv)', () => {
    const validator = sdkClientValidator();
    const failures = calls.flatMap(({ tool, args, result }) => {
      const schema = tools.find((t) => t.name === tool)?.outputSchema;
      if (!schema) return [`${tool}: no outputSchema`];
      const verdict = validator.getValidator(schema)(result.structuredContent);
      return verdict.valid ? [] : [`${tool} ${JSON.stringify(args).slice(0, 120)}: ${verdict.errorMessage}`];
    });
    expect(failures).toEqual([]);
  });

  it('passes every result through a draft 2020-12 validator, and every output schema is valid 2020-12', () => {
    const ajv = draft2020Validator();
    const failures = calls.flatMap(({ tool, args, result }) => {
      const schema = tools.find((t) => t.name === tool)?.outputSchema;
      if (!schema) return [`${tool}: no outputSchema`];
      const validate = ajv.compile(schema);
      return validate(result.structuredContent) ? [] : [`${tool} ${JSON.stringify(args).slice(0, 120)}: ${ajv.errorsText(validate.errors)}`];
    });
    expect(failures).toEqual([]);
  });

  it('uses only schema keywords that draft-07 and 2020-12 validators read alike, in every output and input schema', () => {
    expect(tools.flatMap((t) => portabilityProblems(t.outputSchema, `${t.name} outputSchema`))).toEqual([]);
    expect(tools.flatMap((t) => portabilityProblems(t.inputSchema, `${t.name} inputSchema`))).toEqual([]);
  });
});
