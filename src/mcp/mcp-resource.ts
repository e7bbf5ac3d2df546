import { SetMetadata } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import type { Scope } from 'src/platform/access/scopes.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';

export const MCP_RESOURCE = Symbol('MCP_RESOURCE');

// Marks a provider as an MCP resource (or resource template).
export const McpResource = (): ClassDecorator => SetMetadata(MCP_RESOURCE, true);

export interface ListedResource {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType: string;
}

export interface ResourceListPage {
  resources: ListedResource[];
  nextCursor?: string;
}

export interface ResourceDefinition {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  // RFC 6570 template of the URI path; a template without variables is a
  // plain resource. Query parameters are read from the URI's query string.
  readonly uriTemplate: string;
  readonly queryParameters?: readonly string[];
  // What a caller needs to list, read, complete or subscribe to it.
  readonly scope: Scope;
  // Concrete resources a template offers in resources/list (a plain
  // resource, without variables, is listed from its own definition).
  list?(caller: McpCaller, cursor: string | undefined): Promise<ResourceListPage>;
  // Completion of a template variable (completion/complete).
  complete?(variable: string, value: string, caller: McpCaller): Promise<string[]>;
  // The JSON body of the resource. Throws a DomainError for unknown subjects.
  read(variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown>;
  // URIs whose content the event changed, so subscribers can be told.
  changedUris?(event: DomainEvent): string[];
}
