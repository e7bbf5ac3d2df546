import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { HANDOFF_EVENT_TYPES, HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import type { HandoffStatus } from 'src/features/handoffs/handoffs.types.js';
import { agentHandoffsUri, toHandoffView } from 'src/features/handoffs/mcp/handoff.schemas.js';

// handoff://agents/{agentId}/handoffs: the handoffs addressed to an agent.
// Subscribing is how an agent hears of work offered to it without polling.
@Injectable()
@McpResource()
export class AgentHandoffsResource implements ResourceDefinition {
  readonly name = 'agent-handoffs';
  readonly scope = 'handoffs:read' as const;
  readonly title = 'Handoffs addressed to an agent';
  readonly description = 'Handoffs addressed to one agent, newest first (?status=pending for those waiting). Subscribe to be notified when a handoff for the agent arrives or changes state.';
  readonly uriTemplate = 'handoff://agents/{agentId}/handoffs';
  readonly queryParameters = ['status', 'cursor'] as const;

  constructor(private readonly handoffs: HandoffsService) {}

  async complete(variable: string, value: string, caller: McpCaller): Promise<string[]> {
    return variable === 'agentId' ? this.handoffs.completeTargets(caller.actor, value) : [];
  }

  async read(variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    const agentId = variables.agentId ?? '';
    const status = (query.get('status') ?? undefined) as HandoffStatus | undefined;
    const page = await this.handoffs.list(caller.actor, { agentId, status, cursor: query.get('cursor') ?? undefined });
    const uri = agentHandoffsUri(agentId);
    return {
      agentId,
      handoffs: page.handoffs.map(toHandoffView),
      nextCursor: page.nextCursor,
      ...(page.nextCursor ? { nextUri: `${uri}?${status ? `status=${status}&` : ''}cursor=${page.nextCursor}` } : {}),
    };
  }

  changedUris(event: DomainEvent): string[] {
    return HANDOFF_EVENT_TYPES.has(event.type) && event.subject.agentId !== undefined ? [agentHandoffsUri(event.subject.agentId)] : [];
  }
}
