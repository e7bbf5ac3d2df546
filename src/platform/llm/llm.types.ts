export const LLM_PROVIDERS = ['none', 'openai', 'azure-openai', 'anthropic'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

export interface LlmRequest {
  system: string;
  prompt: string;
  maxOutputTokens: number;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface LlmCompletion {
  text: string;
  provider: LlmProviderName;
  model: string;
  usage: LlmUsage;
}

// Overrides the configured provider (tests inject fakes through it).
export const LLM_PROVIDER = Symbol('LLM_PROVIDER');

// One vendor API. Implementations make a single attempt; retries, timeouts
// and the circuit breaker are applied around them by LlmClient.
export interface LlmProvider {
  readonly name: LlmProviderName;
  readonly model: string;
  complete(request: LlmRequest, signal: AbortSignal): Promise<LlmCompletion>;
}

// The model could not be used this time: disabled, circuit open, timed out
// or failing. Callers fall back to work that needs no model.
export class LlmUnavailableError extends Error {
  constructor(
    readonly reason: 'disabled' | 'circuit_open' | 'timeout' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'LlmUnavailableError';
  }
}

// True for failures worth another try: no answer, overload, rate limits and
// server errors. A 400 or 401 will not improve by asking again.
export function isTransient(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  if (typeof status !== 'number') return true;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}
