import type { Actor } from 'src/platform/access/actor.js';
import type { Principal } from 'src/platform/access/principal.js';

// Who is calling and how to talk back, as a tool or resource sees it.
export interface McpCaller {
  // Every query is scoped by it: the namespace of the caller's credential.
  readonly namespace: string;
  // The credential behind the call: its agents and scopes.
  readonly principal: Principal;
  // The same, as services check it against stored data.
  readonly actor: Actor;
  readonly signal: AbortSignal;
  // Sends notifications/progress when the client asked for progress.
  progress(progress: number, total?: number, message?: string): Promise<void>;
}
