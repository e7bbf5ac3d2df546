import { Global, Module } from '@nestjs/common';

import { RateLimiterService } from 'src/platform/limits/rate-limiter.service.js';

@Global()
@Module({ providers: [RateLimiterService], exports: [RateLimiterService] })
export class LimitsModule {}
