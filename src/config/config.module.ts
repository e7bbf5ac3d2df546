import { Global, Module, type DynamicModule } from '@nestjs/common';

import type { BatonConfig } from 'src/config/config.schema.js';

export const BATON_CONFIG = Symbol('BATON_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: BatonConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: BATON_CONFIG, useValue: config }], exports: [BATON_CONFIG] };
  }
}
