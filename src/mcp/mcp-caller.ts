// Who is calling and how to talk back, as a tool or resource sees it.
export interface McpCaller {
  // Every query is scoped by it; authentication maps callers to namespaces.
  readonly namespace: string;
  readonly signal: AbortSignal;
  // Sends notifications/progress when the client asked for progress.
  progress(progress: number, total?: number, message?: string): Promise<void>;
}
