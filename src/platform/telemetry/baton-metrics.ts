import { metrics, type Attributes, type ObservableResult } from '@opentelemetry/api';

import { BATON_VERSION } from 'src/config/version.js';

// Bucket boundaries the MCP semantic conventions give for their durations.
export const MCP_DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const JOB_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const HUMAN_SECONDS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21_600, 86_400];
const TOKENS = [64, 256, 512, 1024, 2048, 4096, 8192, 16_384, 32_768, 65_536];
const RATIO = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1];

// Every instrument Baton records, in one place, named after what they count.
// Without a started SDK the API hands out no-op instruments: recording costs
// a function call. Classes hold it like their logger: `batonMetrics()`.
export class BatonMetrics {
  private readonly meter = metrics.getMeter('baton', BATON_VERSION);

  readonly mcpOperationDuration = this.meter.createHistogram('mcp.server.operation.duration', { unit: 's', description: 'MCP request duration as seen by the server', advice: { explicitBucketBoundaries: MCP_DURATION_BUCKETS } });
  readonly mcpSessionDuration = this.meter.createHistogram('mcp.server.session.duration', { unit: 's', description: 'Duration of an MCP session as seen by the server', advice: { explicitBucketBoundaries: MCP_DURATION_BUCKETS } });

  readonly appends = this.meter.createCounter('baton.context.appends', { unit: '{entry}', description: 'Context entries appended, by entry type (duplicates of an idempotency key not counted)' });
  readonly handoffTransitions = this.meter.createCounter('baton.handoff.transitions', { unit: '{transition}', description: 'Handoff state changes, by handoff type and new state' });
  readonly handoffAcceptDelay = this.meter.createHistogram('baton.handoff.accept.delay', { unit: 's', description: 'Time from request_handoff to accept_handoff', advice: { explicitBucketBoundaries: HUMAN_SECONDS } });
  readonly packageTokens = this.meter.createHistogram('baton.handoff.package.tokens', { unit: '{token}', description: 'Tokens of the built handoff package', advice: { explicitBucketBoundaries: TOKENS } });
  readonly packageBudgetUse = this.meter.createHistogram('baton.handoff.package.budget.utilization', { unit: '1', description: 'Package tokens divided by the token budget', advice: { explicitBucketBoundaries: RATIO } });
  readonly packageOmitted = this.meter.createCounter('baton.handoff.package.omitted', { unit: '{item}', description: 'Ledger items left out of handoff packages for lack of budget' });
  readonly cacheRequests = this.meter.createCounter('baton.cache.requests', { unit: '{request}', description: 'Brief and summary cache lookups, by cache and outcome (hit, miss, error)' });
  readonly lifecycleTransitions = this.meter.createCounter('baton.lifecycle.transitions', { unit: '{session}', description: 'Session status changes made by the lifecycle, by new status' });
  readonly jobDuration = this.meter.createHistogram('baton.job.duration', { unit: 's', description: 'Background job run time, by queue, job and outcome', advice: { explicitBucketBoundaries: JOB_SECONDS } });
  readonly jobWait = this.meter.createHistogram('baton.job.wait', { unit: 's', description: 'Time a background job waited between becoming due and starting', advice: { explicitBucketBoundaries: JOB_SECONDS } });
  readonly jobFailures = this.meter.createCounter('baton.job.failures', { unit: '{failure}', description: 'Failed job attempts, by queue, job and whether retries are used up' });
  readonly analysisDuration = this.meter.createHistogram('baton.analysis.duration', { unit: 's', description: 'Codebase analysis run time, by outcome', advice: { explicitBucketBoundaries: JOB_SECONDS } });
  readonly analysisFiles = this.meter.createCounter('baton.analysis.files', { unit: '{file}', description: 'Files seen by codebase analyses, by whether they were parsed or reused' });
  readonly llmDuration = this.meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'Model call duration (handoff condensation)', advice: { explicitBucketBoundaries: MCP_DURATION_BUCKETS } });
  readonly llmTokens = this.meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', description: 'Tokens used per model call, by gen_ai.token.type', advice: { explicitBucketBoundaries: TOKENS } });
  readonly llmCalls = this.meter.createCounter('baton.llm.calls', { unit: '{call}', description: 'Condensations asked of the model, by provider and outcome' });

  // Values read when metrics are collected (a Prometheus scrape, an OTLP push).
  observe(name: ObservedMetric, read: (observe: (value: number, attributes?: Attributes) => void) => Promise<void> | void): void {
    const gauge = this.meter.createObservableGauge(name, OBSERVED[name]);
    gauge.addCallback(async (result: ObservableResult) => {
      await read((value, attributes) => result.observe(value, attributes));
    });
  }
}

const OBSERVED = {
  'baton.queue.jobs': { unit: '{job}', description: 'Jobs in each queue, by state (waiting, active, delayed, failed, ...)' },
  'baton.queue.workers': { unit: '{worker}', description: 'Worker connections BullMQ sees on each queue, across all processes' },
  'baton.dependency.up': { unit: '1', description: '1 when the dependency (postgresql, redis) answered the readiness probe, else 0' },
  'process.memory.usage': { unit: 'By', description: 'Resident set size of the process' },
} as const;
export type ObservedMetric = keyof typeof OBSERVED;

let instance: BatonMetrics | undefined;

// Created on first use, after telemetry started (the meter is fixed then).
export function batonMetrics(): BatonMetrics {
  instance ??= new BatonMetrics();
  return instance;
}
