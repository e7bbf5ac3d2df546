import { assertMayActAs } from 'src/platform/access/access.errors.js';
import { mayActAs, type Principal } from 'src/platform/access/principal.js';

// The caller as a service sees it: the namespace it works in and the agents
// it may act as, for checks against stored data (a session's owner, a
// handoff's agents) that the MCP or HTTP edge cannot make.
export interface Actor {
  readonly namespace: string;
  mayActAs(agentId: string): boolean;
  // Throws AGENT_NOT_ALLOWED, naming the action, unless it may act as the agent.
  assertMayActAs(agentId: string, action: string): void;
}

export function actorOf(principal: Principal): Actor {
  return {
    namespace: principal.namespace,
    mayActAs: (agentId) => mayActAs(principal, agentId),
    assertMayActAs: (agentId, action) => assertMayActAs(principal, agentId, action),
  };
}
