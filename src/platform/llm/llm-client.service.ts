import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
  type IPolicy,
} from 'cockatiel';

import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { isTransient, LLM_PROVIDER, LlmUnavailableError, type LlmCompletion, type LlmProvider, type LlmProviderName, type LlmRequest } from 'src/platform/llm/llm.types.js';
import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';

export interface LlmStats {
  provider: string;
  model: string | null;
  calls: number;
  succeeded: number;
  unavailable: number;
  inputTokens: number;
  outputTokens: number;
  circuit: 'closed' | 'open' | 'half-open' | 'isolated' | 'disabled';
}

// The one door to a hosted model. Each call gets a timeout, retries with
// exponential backoff for transient failures, and a circuit breaker that
// stops calling a provider that keeps failing; whatever goes wrong surfaces
// as LlmUnavailableError so callers can fall back.
@Injectable()
export class LlmClient {
  private readonly logger = new Logger(LlmClient.name);
  private readonly metrics = batonMetrics();
  private readonly provider?: LlmProvider;
  private readonly policy?: IPolicy;
  private readonly breaker?: ReturnType<typeof circuitBreaker>;
  private readonly stats = { calls: 0, succeeded: 0, unavailable: 0, inputTokens: 0, outputTokens: 0 };

  constructor(@Inject(BATON_CONFIG) config: BatonConfig, @Optional() @Inject(LLM_PROVIDER) provider?: LlmProvider) {
    const llm = config.llm;
    this.provider = provider ?? createProvider(config);
    if (!this.provider) return;
    const transient = handleWhen((error) => error instanceof TaskCancelledError || isTransient(error));
    this.breaker = circuitBreaker(transient, { halfOpenAfter: llm.breakerResetMs, breaker: new ConsecutiveBreaker(llm.breakerFailures) });
    const retries = retry(transient, { maxAttempts: llm.maxAttempts - 1, backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 5_000 }) });
    this.policy = wrap(retries, this.breaker, timeout(llm.timeoutMs, TimeoutStrategy.Aggressive));
  }

  get enabled(): boolean {
    return this.provider !== undefined;
  }

  async complete(request: LlmRequest): Promise<LlmCompletion> {
    const { provider, policy } = this;
    if (!provider || !policy) throw new LlmUnavailableError('disabled', 'No model provider is configured (BATON_LLM_PROVIDER=none).');
    this.stats.calls++;
    const started = performance.now();
    const model = { 'gen_ai.provider.name': provider.name, 'gen_ai.request.model': provider.model, 'gen_ai.operation.name': 'chat' };
    try {
      const completion = await policy.execute(({ signal }) => provider.complete(request, signal));
      this.stats.succeeded++;
      this.stats.inputTokens += completion.usage.inputTokens;
      this.stats.outputTokens += completion.usage.outputTokens;
      this.metrics.llmDuration.record((performance.now() - started) / 1000, model);
      this.metrics.llmTokens.record(completion.usage.inputTokens, { ...model, 'gen_ai.token.type': 'input' });
      this.metrics.llmTokens.record(completion.usage.outputTokens, { ...model, 'gen_ai.token.type': 'output' });
      this.metrics.llmCalls.add(1, { ...model, 'baton.llm.outcome': 'succeeded' });
      return completion;
    } catch (error) {
      this.stats.unavailable++;
      const unavailable = toUnavailable(error, provider);
      this.metrics.llmDuration.record((performance.now() - started) / 1000, { ...model, 'error.type': unavailable.reason });
      this.metrics.llmCalls.add(1, { ...model, 'baton.llm.outcome': 'failed', 'error.type': unavailable.reason });
      this.logger.warn({ provider: provider.name, model: provider.model, reason: unavailable.reason, err: unavailable.message }, 'model call failed');
      throw unavailable;
    }
  }

  snapshot(): LlmStats {
    return {
      provider: this.provider?.name ?? 'none',
      model: this.provider?.model ?? null,
      ...this.stats,
      circuit: this.breaker ? circuitName(this.breaker.state) : 'disabled',
    };
  }
}

// The vendors' SDKs take a while to load and most runs never call a model:
// each is imported with the first call.
function createProvider(config: BatonConfig): LlmProvider | undefined {
  const { provider, baseUrl, apiKey, model, azureApiVersion } = config.llm;
  switch (provider) {
    case 'none':
      return undefined;
    case 'openai':
    case 'azure-openai':
      return loadedOnFirstCall(provider, model, async () => new (await import('./openai.provider.js')).OpenAiProvider({ flavour: provider, baseUrl, apiKey, model, azureApiVersion }));
    case 'anthropic':
      return loadedOnFirstCall(provider, model, async () => new (await import('./anthropic.provider.js')).AnthropicProvider({ baseUrl, apiKey, model }));
  }
}

function loadedOnFirstCall(name: LlmProviderName, model: string, load: () => Promise<LlmProvider>): LlmProvider {
  let loading: Promise<LlmProvider> | undefined;
  return {
    name,
    model,
    complete: async (request, signal) => {
      // A failed load (a broken install) is tried again on the next call.
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      return (await loading).complete(request, signal);
    },
  };
}

function toUnavailable(error: unknown, provider: LlmProvider): LlmUnavailableError {
  if (error instanceof BrokenCircuitError) return new LlmUnavailableError('circuit_open', `${provider.name} failed repeatedly; Baton stops calling it for a while.`);
  if (error instanceof TaskCancelledError) return new LlmUnavailableError('timeout', `${provider.name} did not answer in time.`);
  const status = (error as { status?: number }).status;
  return new LlmUnavailableError('failed', `${provider.name} call failed${status ? ` with HTTP ${status}` : ''}: ${(error as Error).message}`);
}

function circuitName(state: number): LlmStats['circuit'] {
  return (['closed', 'open', 'half-open', 'isolated'] as const)[state] ?? 'closed';
}
