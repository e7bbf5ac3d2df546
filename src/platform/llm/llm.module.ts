import { Global, Module } from '@nestjs/common';

import { LlmClient } from 'src/platform/llm/llm-client.service.js';

@Global()
@Module({ providers: [LlmClient], exports: [LlmClient] })
export class LlmModule {}
