import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { HANDOFF_EVENT_TYPES, HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import { handoffUri, toHandoffEventView, toHandoffView } from 'src/features/handoffs/mcp/handoff.schemas.js';

// handoff://handoffs/{handoffId}: one handoff, its stored package and every
// transition. Subscribers hear of each state change.
@Injectable()
@McpResource()
export class HandoffResource implements ResourceDefinition {
  readonly name = 'handoff';
  readonly scope = 'handoffs:read' as const;
  readonly title = 'Handoff';
  readonly description = 'One handoff: who offered which session to whom, its state and every transition, and the package exactly as offered; readable by its sender and its target only. Subscribe to hear when it is accepted, rejected, completed or expires.';
  readonly uriTemplate = 'handoff://handoffs/{handoffId}';

  constructor(private readonly handoffs: HandoffsService) {}

  async read(variables: Record<string, string>, _query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    const detail = await this.handoffs.get(caller.actor, variables.handoffId ?? '');
    return { handoff: toHandoffView(detail.handoff), lifecycle: detail.events.map(toHandoffEventView), package: detail.handoff.package };
  }

  changedUris(event: DomainEvent): string[] {
    return HANDOFF_EVENT_TYPES.has(event.type) && event.subject.handoffId !== undefined ? [handoffUri(event.subject.handoffId)] : [];
  }
}
