import { Module } from '@nestjs/common';

import { ApiKeyVerificationService } from 'src/features/api-keys/api-key-verification.service.js';
import { ApiKeysRepository } from 'src/features/api-keys/api-keys.repository.js';
import { ApiKeysService } from 'src/features/api-keys/api-keys.service.js';

@Module({
  providers: [ApiKeysRepository, ApiKeysService, ApiKeyVerificationService],
  exports: [ApiKeysService, ApiKeyVerificationService],
})
export class ApiKeysModule {}
