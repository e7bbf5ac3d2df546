import { Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';

import { ApiKeysModule } from 'src/features/api-keys/api-keys.module.js';
import { BearerAuthMiddleware } from 'src/http/auth/bearer-auth.middleware.js';
import { ProtectedResourceController } from 'src/http/auth/protected-resource.controller.js';

@Module({
  imports: [ApiKeysModule],
  controllers: [ProtectedResourceController],
})
export class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(BearerAuthMiddleware).forRoutes('mcp', 'api/*path');
  }
}
