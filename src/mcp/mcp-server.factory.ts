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

import { BATON_VERSION } from 'src/config/version.js';
import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { ErrorEnvelopeSchema, INTERNAL_ERROR_CODE, invalidArgumentsError, isDomainError, ProtocolError, RESOURCE_NOT_FOUND, toolError, toResourceReadError } from 'src/mcp/mcp-errors.js';
import { McpRegistry } from 'src/mcp/mcp-registry.js';
import type { ListedResource, ResourceDefinition } from 'src/mcp/mcp-resource.js';
import { SubscriptionHub } from 'src/mcp/subscription-hub.js';
import { asUnavailable } from 'src/platform/errors/unavailable.error.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface McpIdentity {
  readonly namespace: string;
}

const INSTRUCTIONS = [
  'Baton keeps a coding session\'s state across agents and hands it over.',
  'Start with register_session, record what happens with update_context (decisions, todos, code changes, errors, ...),',
  'read it back with get_context or the handoff://sessions/{sessionKey}/context resource, and subscribe to that resource to hear of new entries.',
  'To pass the work on, request_handoff; to pick work up, subscribe to handoff://agents/{yourAgentId}/handoffs, then list_handoffs and accept_handoff.',
].join(' ');

// Builds one low-level MCP Server per MCP session, wired to the tools and
// resources that features registered. The SDK's McpServer is not used because
// Baton needs its own argument errors, resource-not-found codes, URI
// matching with query strings, and subscriptions.
@Injectable()
export class McpServerFactory {
  private readonly logger = new Logger(McpServerFactory.name);
  private toolList?: Tool[];

  constructor(
    private readonly registry: McpRegistry,
    private readonly hub: SubscriptionHub,
  ) {}

  create(identity: McpIdentity): Server {
    const server = new Server(
      { name: 'baton', title: 'Baton', version: BATON_VERSION },
      { capabilities: { tools: { listChanged: false }, resources: { subscribe: true, listChanged: true }, completions: {} }, instructions: INSTRUCTIONS },
    );
    const subscriber = this.hub.attach(server, identity.namespace);
    server.onclose = () => this.hub.detach(subscriber);
    const caller = (extra: Extra): McpCaller => this.caller(identity, extra);

    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: this.listTools() }));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => this.callTool(request.params.name, request.params.arguments, caller(extra)));
    server.setRequestHandler(ListResourcesRequestSchema, (request, extra) => this.listResources(request.params?.cursor, caller(extra)));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
      resourceTemplates: this.templates().map((r) => ({ uriTemplate: displayTemplate(r), name: r.name, title: r.title, description: r.description, mimeType: 'application/json' })),
    }));
    server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
      const body = await this.readResource(request.params.uri, caller(extra));
      return { contents: [{ uri: request.params.uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }] };
    });
    server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
      // Subscribing to something that does not exist is an error, not a silent no-op.
      await this.readResource(request.params.uri, caller(extra));
      subscriber.uris.add(request.params.uri);
      await this.hub.ready();
      return {};
    });
    server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
      subscriber.uris.delete(request.params.uri);
      return {};
    });
    server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
      const ref = request.params.ref;
      if (ref.type !== 'ref/resource') return { completion: { values: [], hasMore: false } };
      const resource = this.templates().find((r) => r.uriTemplate === ref.uri || displayTemplate(r) === ref.uri);
      if (!resource) throw new ProtocolError(ErrorCode.InvalidParams, `No Baton resource template is ${ref.uri}; see resources/templates/list.`);
      const values =
        (await resource.complete?.(request.params.argument.name, request.params.argument.value, caller(extra)).catch((error: unknown) => {
          throw this.resourceError(error);
        })) ?? [];
      return { completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 } };
    });
    return server;
  }

  private caller(identity: McpIdentity, extra: Extra): McpCaller {
    const progressToken = extra._meta?.progressToken;
    return {
      namespace: identity.namespace,
      signal: extra.signal,
      progress: async (progress, total, message) => {
        if (progressToken === undefined) return;
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total, message } });
      },
    };
  }

  private listTools(): Tool[] {
    this.toolList ??= [...this.registry.tools.values()].map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: toJsonSchema(tool.input, 'input') as Tool['inputSchema'],
      // Error results carry an error envelope, so it is part of the contract.
      outputSchema: { type: 'object', anyOf: [toJsonSchema(tool.output, 'output'), toJsonSchema(ErrorEnvelopeSchema, 'output')] } as Tool['outputSchema'],
      annotations: { title: tool.title, ...tool.annotations },
    }));
    return this.toolList;
  }

  private async callTool(name: string, args: unknown, caller: McpCaller) {
    const tool = this.registry.tools.get(name);
    if (!tool) throw new ProtocolError(ErrorCode.InvalidParams, `Unknown tool "${name}"; available tools: ${[...this.registry.tools.keys()].join(', ')}.`);
    const parsed = tool.input.safeParse(args ?? {});
    if (!parsed.success) return invalidArgumentsError(name, parsed.error.issues);
    try {
      const output = tool.output.parse(await tool.execute(parsed.data, caller));
      return { content: [{ type: 'text' as const, text: tool.render(output) }], structuredContent: output };
    } catch (error) {
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
    const listable = this.registry.resources.filter((r) => r.list);
    let position = cursor !== undefined ? decodeListCursor(cursor) : { index: 0, inner: undefined };
    const resources: ListedResource[] =
      cursor === undefined
        ? this.registry.resources
            .filter((r) => !r.uriTemplate.includes('{'))
            .map((r) => ({ uri: r.uriTemplate, name: r.name, title: r.title, description: r.description, mimeType: 'application/json' }))
        : [];
    for (let index = position.index; index < listable.length; index++) {
      const page = await (listable[index] as Required<ResourceDefinition>).list(caller, position.inner).catch((error: unknown) => {
        throw this.resourceError(error);
      });
      resources.push(...page.resources);
      if (page.nextCursor !== undefined) return { resources, nextCursor: encodeListCursor({ index, inner: page.nextCursor }) };
      position = { index: index + 1, inner: undefined };
    }
    return { resources };
  }

  private async readResource(uri: string, caller: McpCaller): Promise<unknown> {
    const [path = '', queryString = ''] = uri.split('?', 2);
    for (const resource of this.registry.resources) {
      const variables = new UriTemplate(resource.uriTemplate).match(path);
      if (!variables) continue;
      const decoded = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, decodeURIComponent(Array.isArray(v) ? v.join(',') : v)]));
      try {
        return await resource.read(decoded, new URLSearchParams(queryString), caller);
      } catch (error) {
        throw this.resourceError(error);
      }
    }
    const known = this.registry.resources.map(displayTemplate).join(', ');
    throw new ProtocolError(RESOURCE_NOT_FOUND, `No Baton resource has the URI ${uri}: it matches none of ${known}.`, { uri });
  }

  // Domain errors and dependency outages as JSON-RPC errors; anything else
  // stays as it is (the SDK answers it as an internal error).
  private resourceError(error: unknown): unknown {
    if (isDomainError(error)) return toResourceReadError(error);
    const outage = asUnavailable(error);
    if (!outage) return error;
    this.logger.warn({ dependency: outage.dependency, reason: outage.reason }, 'resource request met a dependency outage');
    return toResourceReadError(outage);
  }

  private templates(): ResourceDefinition[] {
    return this.registry.resources.filter((r) => r.uriTemplate.includes('{'));
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
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { index: number; inner?: string };
    if (Number.isInteger(position.index) && position.index >= 0) return position;
  } catch {
    // fall through to the error below
  }
  throw new ProtocolError(ErrorCode.InvalidParams, 'cursor is not one Baton issued: pass the nextCursor of a previous resources/list result.');
}
