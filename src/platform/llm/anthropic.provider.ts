import Anthropic from '@anthropic-ai/sdk';

import type { LlmCompletion, LlmProvider, LlmRequest } from 'src/platform/llm/llm.types.js';

export interface AnthropicSettings {
  baseUrl?: string;
  apiKey?: string;
  model: string;
}

// Anthropic's Messages API.
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic' as const;
  readonly model: string;
  private readonly client: Anthropic;

  constructor(settings: AnthropicSettings) {
    this.model = settings.model;
    this.client = new Anthropic({ apiKey: settings.apiKey ?? 'not-needed', baseURL: settings.baseUrl, maxRetries: 0 });
  }

  async complete(request: LlmRequest, signal: AbortSignal): Promise<LlmCompletion> {
    const message = await this.client.messages.create(
      {
        model: this.model,
        max_tokens: request.maxOutputTokens,
        system: request.system,
        messages: [{ role: 'user', content: request.prompt }],
      },
      { signal },
    );
    const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
    return { text, provider: this.name, model: message.model ?? this.model, usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens } };
  }
}
