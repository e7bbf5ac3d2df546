import OpenAI, { AzureOpenAI } from 'openai';

import type { LlmCompletion, LlmProvider, LlmProviderName, LlmRequest } from 'src/platform/llm/llm.types.js';

export interface OpenAiSettings {
  flavour: 'openai' | 'azure-openai';
  baseUrl?: string;
  apiKey?: string;
  model: string;
  azureApiVersion: string;
}

// OpenAI's Chat Completions API, which OpenAI, Azure OpenAI and the
// OpenAI-compatible servers (OpenRouter, Ollama, LM Studio, vLLM) all speak.
export class OpenAiProvider implements LlmProvider {
  readonly name: LlmProviderName;
  readonly model: string;
  private readonly client: OpenAI;

  constructor(settings: OpenAiSettings) {
    this.name = settings.flavour;
    this.model = settings.model;
    // Retries and timeouts belong to LlmClient's policy, not the SDK's.
    const common = { apiKey: settings.apiKey ?? 'not-needed', maxRetries: 0 };
    this.client =
      settings.flavour === 'azure-openai'
        ? new AzureOpenAI({ ...common, endpoint: settings.baseUrl, apiVersion: settings.azureApiVersion, deployment: settings.model })
        : new OpenAI({ ...common, baseURL: settings.baseUrl });
  }

  async complete(request: LlmRequest, signal: AbortSignal): Promise<LlmCompletion> {
    const response = await this.client.chat.completions.create(
      {
        model: this.model,
        max_tokens: request.maxOutputTokens,
        temperature: 0,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.prompt },
        ],
      },
      { signal },
    );
    return {
      text: response.choices[0]?.message?.content ?? '',
      provider: this.name,
      model: response.model ?? this.model,
      usage: { inputTokens: response.usage?.prompt_tokens ?? 0, outputTokens: response.usage?.completion_tokens ?? 0 },
    };
  }
}
