import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';

import { batonMetrics } from 'src/platform/telemetry/baton-metrics.js';
import { telemetryRuntime } from 'src/platform/telemetry/telemetry.js';

@Global()
@Module({})
export class TelemetryModule implements OnApplicationShutdown {
  constructor() {
    batonMetrics().observe('process.memory.usage', (observe) => observe(process.memoryUsage.rss()));
  }

  // Spans and metrics still buffered are sent before the process ends.
  async onApplicationShutdown(): Promise<void> {
    await telemetryRuntime()?.shutdown();
  }
}
