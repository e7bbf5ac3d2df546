import { Global, Module } from '@nestjs/common';

import { RateLimiterService } from 'src/platform/limits/rate-limiter.service.js';
import { RefusalAudit } from 'src/platform/limits/refusal-audit.js';

@Global()
@Module({ providers: [RateLimiterService, RefusalAudit], exports: [RateLimiterService, RefusalAudit] })
export class LimitsModule {}
