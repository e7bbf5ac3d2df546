import { Injectable } from '@nestjs/common';

import { JobProcessor, type JobHandler } from 'src/platform/queue/job-definition.js';
import { HandoffsService } from 'src/features/handoffs/handoffs.service.js';
import { ExpireHandoffJob, type ExpireHandoffData } from 'src/features/handoffs/jobs/expire-handoff.job.js';

// The expiry is conditional, so a late or repeated job changes nothing.
@Injectable()
@JobProcessor()
export class ExpireHandoffProcessor implements JobHandler<ExpireHandoffData, { expired: boolean }> {
  readonly job = ExpireHandoffJob;

  constructor(private readonly handoffs: HandoffsService) {}

  async handle(data: ExpireHandoffData): Promise<{ expired: boolean }> {
    return { expired: await this.handoffs.expireIfDue(data.namespace, data.handoffId) };
  }
}
