import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';

import { ApiKeysModule } from 'src/features/api-keys/api-keys.module.js';
import { BearerAuthMiddleware } from 'src/http/auth/bearer-auth.middleware.js';
import { ProtectedResourceController } from 'src/http/auth/protected-resource.controller.js';
import { RequestLimitsMiddleware } from 'src/http/request-limits.middleware.js';

@Module({
  imports: [ApiKeysModule],
  controllers: [ProtectedResourceController],
})
export class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Limits come after authentication: they count per credential.
    consumer.apply(BearerAuthMiddleware, RequestLimitsMiddleware).forRoutes('mcp', 'api/*path');
  }
}
