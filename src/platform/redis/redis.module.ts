import { Global, Module } from '@nestjs/common';

import { RedisService } from 'src/platform/redis/redis.service.js';

@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
