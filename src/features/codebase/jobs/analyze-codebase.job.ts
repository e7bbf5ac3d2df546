import { hostname } from 'node:os';

import { defineJob } from 'src/platform/queue/job-definition.js';

// An analysis reads files, so it must run on the machine that holds them:
// the queue is per host, and every Baton process on the host (`baton stdio`,
// `baton serve`, `baton worker`) serves it.
export const CODEBASE_QUEUE = `codebase-${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}`;

export interface AnalyzeCodebaseJobData {
  analysisId: string;
  namespace: string;
  // The allowed root granted when the analysis was asked for.
  boundary: string;
  tokenBudget: number;
}

export const AnalyzeCodebaseJob = defineJob<AnalyzeCodebaseJobData>(CODEBASE_QUEUE, 'analyze-codebase');
