import { Injectable, Logger } from '@nestjs/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { ErrorEnvelopeSchema, INTERNAL_ERROR_CODE, invalidArgumentsError, isDomainError, ProtocolError, RESOURCE_NOT_FOUND, toolError, toResourceReadError } from 'src/mcp/mcp-errors.js';
import { McpRegistry } from 'src/mcp/mcp-registry.js';
import { decodeUriPart, parseResourceUri, plainParamErrors } from 'src/mcp/mcp-request.js';
import type { ListedResource, ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { ToolDefinition } from 'src/mcp/mcp-tool.js';
import { SERVER_CAPABILITIES, SERVER_INFO, SERVER_INSTRUCTIONS } from 'src/mcp/server-identity.js';
import { SubscriptionHub } from 'src/mcp/subscription-hub.js';
import { AccessError } from 'src/platform/access/access.errors.js';
import { runWithAccess } from 'src/platform/access/access-context.js';
import { actorOf } from 'src/platform/access/actor.js';
import { hasScope, type Principal } from 'src/platform/access/principal.js';
import { accessDeniedRecord } from 'src/platform/audit/access-denied.js';
import { AuditTrail } from 'src/platform/audit/audit-trail.js';
import type { Scope } from 'src/platform/access/scopes.js';
import { RateLimiterService } from 'src/platform/limits/rate-limiter.service.js';
import { asUnavailable } from 'src/platform/errors/unavailable.error.js';
import { echo, jsonProblem, textProblem } from 'src/platform/input/input-guard.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;
// Records a refusal (a missing scope, an agent not covered) in the audit
// trail; other errors pass by.
type Denied = (error: unknown, target: string) => void;

export interface McpIdentity {
  readonly principal: Principal;
  // The client's address over HTTP, `stdio` otherwise (for the audit trail).
  readonly source: string;
  // Set for a session another replica opened (see StreamableHttpEndpoint).
  readonly mcpSessionId?: string;
}


// Builds one low-level MCP Server per MCP session, wired to the tools and
// resources that features registered. The SDK's McpServer is not used because
// Baton needs its own argument errors, resource-not-found codes, URI
// matching with query strings, and subscriptions.
@Injectable()
export class McpServerFactory {
  private readonly logger = new Logger(McpServerFactory.name);
  private toolList?: { scope: Scope; tool: Tool }[];
  private resourceMatchers?: { resource: ResourceDefinition; template: UriTemplate }[];

  constructor(
    private readonly registry: McpRegistry,
    private readonly hub: SubscriptionHub,
    private readonly audit: AuditTrail,
    private readonly limits: RateLimiterService,
  ) {}

  create(identity: McpIdentity): Server {
    const server = new Server(
      SERVER_INFO,
      { capabilities: SERVER_CAPABILITIES, instructions: SERVER_INSTRUCTIONS },
    );
    const { principal } = identity;
    const subscriber = this.hub.attach(server, principal.namespace, identity.mcpSessionId);
    server.onclose = () => this.hub.detach(subscriber);
    const caller = (extra: Extra): McpCaller => this.caller(identity, extra);
    const denied: Denied = (error, target) => {
      if (error instanceof AccessError) void this.audit.record(accessDeniedRecord(error, target, principal, identity.source));
    };
    // Every handler runs with the caller's identity in reach of the audit trail.
    const access = { principal, source: identity.source };
    const as = <R>(work: () => R): R => runWithAccess(access, work);

    server.setRequestHandler(plainParamErrors(ListToolsRequestSchema), () => ({ tools: this.listTools(principal) }));
    server.setRequestHandler(plainParamErrors(CallToolRequestSchema), (request, extra) => as(() => this.callTool(request.params.name, request.params.arguments, caller(extra), denied)));
    server.setRequestHandler(plainParamErrors(ListResourcesRequestSchema), (request, extra) => as(() => this.listResources(request.params?.cursor, caller(extra))));
    server.setRequestHandler(plainParamErrors(ListResourceTemplatesRequestSchema), () => ({
      resourceTemplates: this.templates(principal).map((r) => ({ uriTemplate: displayTemplate(r), name: r.name, title: r.title, description: r.description, mimeType: 'application/json' })),
    }));
    server.setRequestHandler(plainParamErrors(ReadResourceRequestSchema), async (request, extra) => {
      const body = await as(() => this.readResource(request.params.uri, caller(extra), denied));
      return { contents: [{ uri: request.params.uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }] };
    });
    server.setRequestHandler(plainParamErrors(SubscribeRequestSchema), async (request, extra) => {
      // Subscribing to something that does not exist is an error, not a silent no-op.
      await as(() => this.readResource(request.params.uri, caller(extra), denied));
      await this.hub.subscribe(subscriber, request.params.uri, true);
      return {};
    });
    server.setRequestHandler(plainParamErrors(UnsubscribeRequestSchema), async (request) => {
      await this.hub.subscribe(subscriber, request.params.uri, false);
      return {};
    });
    server.setRequestHandler(plainParamErrors(CompleteRequestSchema), async (request, extra) => {
      const ref = request.params.ref;
      if (ref.type !== 'ref/resource') return { completion: { values: [], hasMore: false } };
      const resource = this.templates(principal).find((r) => r.uriTemplate === ref.uri || displayTemplate(r) === ref.uri);
      if (!resource) throw new ProtocolError(ErrorCode.InvalidParams, `No Baton resource template is ${echo(ref.uri)}; see resources/templates/list.`);
      const { name, value } = request.params.argument;
      const problem = textProblem(name) ?? textProblem(value);
      if (problem) throw new ProtocolError(ErrorCode.InvalidParams, `The completion argument's name or value ${problem}.`);
      const values = (await as(() => resource.complete?.(name, value, caller(extra)))?.catch((error: unknown) => {
        denied(error, `${resource.uriTemplate}#${name}`);
        return Promise.reject(this.resourceError(error, `complete ${name}`, resource.name));
      })) ?? [];
      return { completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 } };
    });
    return server;
  }

  private caller(identity: McpIdentity, extra: Extra): McpCaller {
    const progressToken = extra._meta?.progressToken;
    return {
      namespace: identity.principal.namespace,
      principal: identity.principal,
      actor: actorOf(identity.principal),
      signal: extra.signal,
      progress: async (progress, total, message) => {
        if (progressToken === undefined) return;
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total, message } });
      },
    };
  }

  // The scope a request needs, when it names one tool or resource the
  // caller may not use: the HTTP layer answers it with a 403 challenge
  // before the request reaches a server.
  missingScope(principal: Principal, method: string, params: unknown): Scope | undefined {
    const named = typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
    let scope: Scope | undefined;
    if (method === 'tools/call' && typeof named.name === 'string') scope = this.registry.tools.get(named.name)?.scope;
    if ((method === 'resources/read' || method === 'resources/subscribe') && typeof named.uri === 'string') scope = this.resourceFor(named.uri)?.scope;
    return scope !== undefined && !hasScope(principal, scope) ? scope : undefined;
  }

  private listTools(principal: Principal): Tool[] {
    this.toolList ??= [...this.registry.tools.values()].map((tool) => ({ scope: tool.scope, tool: this.describeTool(tool) }));
    return this.toolList.filter((entry) => hasScope(principal, entry.scope)).map((entry) => entry.tool);
  }

  private describeTool(tool: ToolDefinition): Tool {
    return {
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: toJsonSchema(tool.input, 'input') as Tool['inputSchema'],
      // Error results carry an error envelope, so it is part of the contract.
      outputSchema: { type: 'object', anyOf: [toJsonSchema(tool.output, 'output'), toJsonSchema(ErrorEnvelopeSchema, 'output')] } as Tool['outputSchema'],
      annotations: { title: tool.title, ...tool.annotations },
    };
  }

  private async callTool(name: string, args: unknown, caller: McpCaller, denied: Denied) {
    const tool = this.registry.tools.get(name);
    if (!tool || !hasScope(caller.principal, tool.scope)) {
      const available = [...this.registry.tools.values()].filter((t) => hasScope(caller.principal, t.scope)).map((t) => t.name);
      if (tool) {
        const refusal = AccessError.insufficientScope(tool.scope, `The tool ${name}`);
        denied(refusal, name);
        return toolError(refusal.code, refusal.message, refusal.details);
      }
      throw new ProtocolError(ErrorCode.InvalidParams, `Unknown tool "${echo(name)}"; available tools: ${available.join(', ')}.`);
    }
    const limited = await this.limits.takeToolCall(caller.principal, name);
    if (limited) return toolError(limited.code, limited.message, limited.details);
    // Before the schema: it would walk a deep value recursively, and nothing
    // that PostgreSQL or UTF-8 cannot hold may reach a service.
    const problem = jsonProblem(args ?? {});
    if (problem) return invalidArgumentsError(name, [{ path: problem.path === '' ? [] : [problem.path], message: problem.problem }]);
    const parsed = tool.input.safeParse(args ?? {});
    if (!parsed.success) return invalidArgumentsError(name, parsed.error.issues);
    try {
      const output = tool.output.parse(await tool.execute(parsed.data, caller));
      return { content: [{ type: 'text' as const, text: tool.render(output) }], structuredContent: output };
    } catch (error) {
      denied(error, name);
      if (isDomainError(error)) return toolError(error.code, error.message, error.details);
      const outage = asUnavailable(error);
      if (outage) {
        this.logger.warn({ tool: name, dependency: outage.dependency, reason: outage.reason }, 'tool call met a dependency outage');
        return toolError(outage.code, outage.message, outage.details);
      }
      this.logger.error({ tool: name, err: (error as Error).message, stack: (error as Error).stack }, 'tool failed');
      return toolError(INTERNAL_ERROR_CODE, `Baton could not complete ${name} because of an internal error; nothing was changed by the failed step. Retry later; if it persists, tell the operator.`);
    }
  }

  // Plain resources (URIs without variables) are listed from their own
  // definition, on the first page; templates list what they offer through
  // list(), page by page.
  private async listResources(cursor: string | undefined, caller: McpCaller) {
    const visible = this.registry.resources.filter((r) => hasScope(caller.principal, r.scope));
    const listable = visible.filter((r) => r.list);
    let position = cursor !== undefined ? decodeListCursor(cursor) : { index: 0, inner: undefined };
    const resources: ListedResource[] =
      cursor === undefined
        ? visible
            .filter((r) => !r.uriTemplate.includes('{'))
            .map((r) => ({ uri: r.uriTemplate, name: r.name, title: r.title, description: r.description, mimeType: 'application/json' }))
        : [];
    for (let index = position.index; index < listable.length; index++) {
      const page = await (listable[index] as Required<ResourceDefinition>).list(caller, position.inner).catch((error: unknown) => {
        throw this.resourceError(error, 'list resources', listable[index]?.name);
      });
      resources.push(...page.resources);
      if (page.nextCursor !== undefined) return { resources, nextCursor: encodeListCursor({ index, inner: page.nextCursor }) };
      position = { index: index + 1, inner: undefined };
    }
    return { resources };
  }

  private async readResource(uri: string, caller: McpCaller, denied: Denied): Promise<unknown> {
    const { path, query } = parseResourceUri(uri);
    for (const { resource, template } of this.matchers()) {
      const variables = template.match(path);
      if (!variables) continue;
      if (!hasScope(caller.principal, resource.scope)) {
        const refusal = AccessError.insufficientScope(resource.scope, `The resource ${echo(uri)}`);
        denied(refusal, uri);
        throw toResourceReadError(refusal);
      }
      const decoded = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, decodeUriPart(Array.isArray(v) ? v.join(',') : v, k)]));
      try {
        return await resource.read(decoded, query, caller);
      } catch (error) {
        denied(error, uri);
        throw this.resourceError(error, `read ${uri}`, resource.name);
      }
    }
    const known = this.registry.resources.map(displayTemplate).join(', ');
    throw new ProtocolError(RESOURCE_NOT_FOUND, `No Baton resource has the URI ${echo(uri)}: it matches none of ${known}.`, { uri });
  }

  // What a client hears of a failed resource request: domain errors and
  // dependency outages as their JSON-RPC errors, anything else as a plain
  // internal error. Driver and ORM messages name tables, queries and
  // SQLSTATEs: they are logged, never sent.
  private resourceError(error: unknown, action: string, resource: string | undefined): ProtocolError {
    if (isDomainError(error)) return toResourceReadError(error);
    if (error instanceof ProtocolError) return error;
    const outage = asUnavailable(error);
    if (outage) {
      this.logger.warn({ dependency: outage.dependency, reason: outage.reason }, 'resource request met a dependency outage');
      return toResourceReadError(outage);
    }
    this.logger.error({ resource, err: (error as Error).message, stack: (error as Error).stack }, 'resource request failed');
    return new ProtocolError(ErrorCode.InternalError, `Baton could not ${echo(action)} because of an internal error. Retry later; if it persists, tell the operator.`);
  }

  private resourceFor(uri: string): ResourceDefinition | undefined {
    const split = uri.indexOf('?');
    const path = split === -1 ? uri : uri.slice(0, split);
    return this.matchers().find(({ template }) => template.match(path) !== null)?.resource;
  }

  // Each resource's URI template, compiled once: every read, subscribe and
  // scope check matches a URI against them.
  private matchers(): { resource: ResourceDefinition; template: UriTemplate }[] {
    this.resourceMatchers ??= this.registry.resources.map((resource) => ({ resource, template: new UriTemplate(resource.uriTemplate) }));
    return this.resourceMatchers;
  }

  private templates(principal: Principal): ResourceDefinition[] {
    return this.registry.resources.filter((r) => r.uriTemplate.includes('{') && hasScope(principal, r.scope));
  }
}

export function displayTemplate(resource: ResourceDefinition): string {
  return resource.queryParameters?.length ? `${resource.uriTemplate}{?${resource.queryParameters.join(',')}}` : resource.uriTemplate;
}

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

function encodeListCursor(position: { index: number; inner?: string }): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeListCursor(cursor: string): { index: number; inner?: string } {
  try {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { index: unknown; inner?: unknown };
    if (Number.isInteger(position.index) && (position.index as number) >= 0 && (position.inner === undefined || typeof position.inner === 'string')) return position as { index: number; inner?: string };
  } catch {
    // fall through to the error below
  }
  throw new ProtocolError(ErrorCode.InvalidParams, 'cursor is not one Baton issued: pass the nextCursor of a previous resources/list result.');
}
