import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import type { DomainEvent } from 'src/platform/events/event-bus.service.js';
import { LifecycleOperatorService } from 'src/features/lifecycle/lifecycle-operator.service.js';
import { LIFECYCLE_URI, reachOf, toLifecycleStatusView } from 'src/features/lifecycle/mcp/lifecycle.schemas.js';
import { SESSION_EVENTS } from 'src/features/sessions/sessions.service.js';

// handoff://lifecycle: what get_lifecycle_status returns, as a resource.
@Injectable()
@McpResource()
export class LifecycleResource implements ResourceDefinition {
  readonly name = 'lifecycle';
  readonly scope = 'lifecycle:operate' as const;
  readonly title = 'Session lifecycle status';
  readonly description = 'Lifecycle queue counts, workers, sweep schedule, last sweep and start-up check, transition totals, failed jobs, and sessions per state, of your namespace (admins: ?namespace=<name> or ?namespace=*). Subscribers hear of every transition.';
  readonly uriTemplate = LIFECYCLE_URI;
  readonly queryParameters = ['namespace'] as const;

  constructor(private readonly operator: LifecycleOperatorService) {}

  async read(_variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    return toLifecycleStatusView(await this.operator.status(reachOf(caller.principal, query.get('namespace') ?? undefined)));
  }

  changedUris(event: DomainEvent): string[] {
    return event.type === SESSION_EVENTS.statusChanged ? [LIFECYCLE_URI] : [];
  }
}
