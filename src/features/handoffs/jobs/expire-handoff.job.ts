import { defineJob } from 'src/platform/queue/job-definition.js';

export interface ExpireHandoffData {
  namespace: string;
  handoffId: string;
}

// One delayed job per pending handoff (job id expire-handoff-<id>), due when
// the handoff's time is up. Its processor is in expire-handoff.processor.ts,
// apart so that the service scheduling it and the processor calling the
// service do not import each other.
export const ExpireHandoffJob = defineJob<ExpireHandoffData>('handoffs', 'expire-handoff');
