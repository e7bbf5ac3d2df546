import { Global, Module } from '@nestjs/common';

import { SecretRedactor } from 'src/platform/secrets/secret-redactor.js';

@Global()
@Module({ providers: [SecretRedactor], exports: [SecretRedactor] })
export class SecretsModule {}
