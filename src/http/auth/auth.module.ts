import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';

import { ApiKeysModule } from 'src/features/api-keys/api-keys.module.js';
import { BearerAuthMiddleware } from 'src/http/auth/bearer-auth.middleware.js';
import { ProtectedResourceController } from 'src/http/auth/protected-resource.controller.js';
import { RequestLimitsMiddleware } from 'src/http/request-limits.middleware.js';

// One instance of each check, used by /api here and by the /mcp route
// (StreamableHttpRoute), so a credential's requests in flight are counted
// across both.
@Module({
  imports: [ApiKeysModule],
  controllers: [ProtectedResourceController],
  providers: [BearerAuthMiddleware, RequestLimitsMiddleware],
  exports: [BearerAuthMiddleware, RequestLimitsMiddleware],
})
export class AuthModule implements NestModule {
  constructor(
    private readonly bearer: BearerAuthMiddleware,
    private readonly limits: RequestLimitsMiddleware,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    // Limits come after authentication: they count per credential.
    consumer.apply(this.bearer.use.bind(this.bearer), this.limits.use.bind(this.limits)).forRoutes('api/*path');
  }
}
