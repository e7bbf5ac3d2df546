import { Controller, Get, NotFoundException, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';

import { telemetryRuntime } from 'src/platform/telemetry/telemetry.js';

// Prometheus scrapes `baton serve` here (text exposition format).
@Controller('metrics')
export class MetricsController {
  @Get()
  scrape(@Req() request: Request, @Res() response: Response): void {
    const handler = telemetryRuntime()?.metricsHandler;
    if (!handler) throw new NotFoundException('Metrics are off in this process: OTEL_METRICS_EXPORTER must include prometheus, and OTEL_SDK_DISABLED must not be true.');
    handler(request, response);
  }
}
