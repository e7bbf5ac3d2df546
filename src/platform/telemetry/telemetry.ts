import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire, register } from 'node:module';

import type { ContextManager, Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type * as TraceSdk from '@opentelemetry/sdk-trace-base';

import type { BatonConfig, InstrumentationName } from 'src/config/config.schema.js';
import { BATON_VERSION } from 'src/config/version.js';
import { withDeferredUpDownCounters } from 'src/platform/telemetry/deferred-up-down-counters.js';

const require = createRequire(import.meta.url);

export type TelemetryRole = 'serve' | 'worker' | 'stdio';

export interface TelemetryRuntime {
  readonly tracing: boolean;
  // The Prometheus text exposition, for `baton serve`'s /metrics route.
  readonly metricsHandler?: (request: IncomingMessage, response: ServerResponse) => void;
  shutdown(): Promise<void>;
}

let current: TelemetryRuntime | undefined;

// The running telemetry of this process, when it was started.
export function telemetryRuntime(): TelemetryRuntime | undefined {
  return current;
}

interface Signals {
  otlp: boolean;
  tracing: boolean;
  logging: boolean;
  prometheus: boolean;
  metrics: boolean;
}

function signals(config: BatonConfig, role: TelemetryRole): Signals {
  const settings = config.telemetry;
  const otlp = settings.otlpEndpoint !== undefined;
  const prometheus = settings.metricsExporter.includes('prometheus') && role !== 'stdio';
  return {
    otlp,
    tracing: settings.tracesExporter === 'console' || (settings.tracesExporter === 'otlp' && otlp),
    logging: settings.logsExporter === 'otlp' && otlp,
    prometheus,
    metrics: prometheus || settings.metricsExporter.includes('console') || (settings.metricsExporter.includes('otlp') && otlp),
  };
}

// Whether any signal would leave the process: when none would, telemetry is
// not started at all and costs nothing (e.g. `baton stdio` without OTLP).
export function wouldExport(config: BatonConfig, role: TelemetryRole): boolean {
  if (config.telemetry.disabled) return false;
  const on = signals(config, role);
  return on.tracing || on.logging || on.metrics;
}

// Starts OpenTelemetry before the application is imported: the module hooks
// must be in place when pg, ioredis, express, Nest and pino load. Everything
// heavy is imported here, only when telemetry is on.
export async function startTelemetry(config: BatonConfig, role: TelemetryRole): Promise<TelemetryRuntime | undefined> {
  const settings = config.telemetry;
  if (!wouldExport(config, role) || current) return current;
  const { otlp, tracing, logging, prometheus } = signals(config, role);

  // Baton is ESM: a library it imports is patched only through module hooks
  // (import-in-the-middle), which send every import of the process through
  // a hooks thread, about 1 s of a `baton serve` start. Spans and log
  // records need them (Nest, ioredis, pino...). Metrics alone need only the
  // http and pg instrumentations, and both modules are CommonJS: required
  // once the SDK has started, they are patched through require-in-the-middle,
  // and every later import gets the same patched module.
  const hooksAcknowledged = tracing || logging ? await registerModuleHooks() : undefined;

  const [{ NodeSDK }, instrumentations, resources, metricsSdk, traceSdk, logsSdk] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    loadInstrumentations(tracing, logging, settings.disabledInstrumentations),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-logs'),
  ]);

  const metricReaders: InstanceType<typeof metricsSdk.MetricReader>[] = [];
  let metricsHandler: TelemetryRuntime['metricsHandler'];
  if (prometheus) {
    const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
    // `baton serve` answers /metrics on its own port; the worker opens one.
    const exporter = new PrometheusExporter({ host: settings.prometheusHost, port: settings.prometheusPort, preventServerStart: role === 'serve' });
    metricsHandler = (request, response) => exporter.getMetricsRequestHandler(request, response);
    metricReaders.push(exporter);
  }
  if (settings.metricsExporter.includes('otlp') && otlp) {
    metricReaders.push(new metricsSdk.PeriodicExportingMetricReader({ exporter: await otlpExporter('metrics', config), exportIntervalMillis: settings.metricExportIntervalMs }));
  }
  if (settings.metricsExporter.includes('console')) {
    metricReaders.push(new metricsSdk.PeriodicExportingMetricReader({ exporter: new metricsSdk.ConsoleMetricExporter(), exportIntervalMillis: settings.metricExportIntervalMs }));
  }

  const spanProcessors: InstanceType<typeof traceSdk.BatchSpanProcessor>[] = [];
  if (settings.tracesExporter === 'console') spanProcessors.push(new traceSdk.BatchSpanProcessor(new traceSdk.ConsoleSpanExporter()));
  else if (tracing) spanProcessors.push(new traceSdk.BatchSpanProcessor(await otlpExporter('traces', config)));
  const logRecordProcessors = logging ? [new logsSdk.BatchLogRecordProcessor({ exporter: await otlpExporter('logs', config) })] : [];

  const sdk = new NodeSDK({
    autoDetectResources: true,
    resourceDetectors: [resources.processDetector, resources.hostDetector],
    resource: resources.resourceFromAttributes({
      ...settings.resourceAttributes,
      'service.name': settings.serviceName,
      'service.version': BATON_VERSION,
      'baton.process.role': role,
    }),
    // Explicit lists (possibly empty): the SDK must not fall back to reading
    // OTEL_* variables itself, src/config has validated them already.
    spanProcessors,
    metricReaders,
    logRecordProcessors,
    sampler: sampler(traceSdk, settings.sampler, settings.samplerArg),
    instrumentations,
    // Context only carries spans from one call to the next. With neither
    // spans nor log records to correlate, the SDK's default context manager
    // (an AsyncLocalStorage, bound by the HTTP instrumentation to every
    // request and response) and the W3C propagator would cost every request
    // about 25 µs for nothing (docs/benchmarks.md, telemetry overhead).
    // The SDK registers no context manager when given null (its types do not say so).
    ...(tracing || logging ? {} : { contextManager: null as unknown as ContextManager, textMapPropagator: null }),
  });
  sdk.start();
  if (hooksAcknowledged) await hooksAcknowledged();
  else for (const name of PATCHED_ON_REQUIRE) require(name);
  current = { tracing, metricsHandler, shutdown: () => sdk.shutdown() };
  return current;
}

// A named prepared statement (the append on every update_context) is fixed
// in Baton's source: its span says which one ran, `EXECUTE append_entry`,
// instead of carrying its SQL (1.6 KB), whose export cost about 60 µs of
// CPU per append (docs/benchmarks.md, telemetry overhead).
function nameNamedStatement(span: Span, { query }: { query: { name?: string } }): void {
  if (query.name) span.setAttribute('db.query.text', `EXECUTE ${query.name}`);
}

function sampler(sdk: typeof TraceSdk, name: BatonConfig['telemetry']['sampler'], ratio: number) {
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) });
  }
}

async function otlpExporter(signal: 'traces', config: BatonConfig): Promise<TraceSdk.SpanExporter>;
async function otlpExporter(signal: 'metrics', config: BatonConfig): Promise<PushMetricExporter>;
async function otlpExporter(signal: 'logs', config: BatonConfig): Promise<LogRecordExporter>;
async function otlpExporter(signal: 'traces' | 'metrics' | 'logs', config: BatonConfig): Promise<unknown> {
  const { otlpEndpoint, otlpProtocol, otlpHeaders } = config.telemetry;
  const options = { url: `${(otlpEndpoint ?? '').replace(/\/+$/, '')}/v1/${signal}`, headers: otlpHeaders ?? {} };
  const json = otlpProtocol === 'http/json';
  switch (signal) {
    case 'traces': {
      const { OTLPTraceExporter } = json ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter(options);
    }
    case 'metrics': {
      const { OTLPMetricExporter } = json ? await import('@opentelemetry/exporter-metrics-otlp-http') : await import('@opentelemetry/exporter-metrics-otlp-proto');
      return new OTLPMetricExporter(options);
    }
    case 'logs': {
      const { OTLPLogExporter } = json ? await import('@opentelemetry/exporter-logs-otlp-http') : await import('@opentelemetry/exporter-logs-otlp-proto');
      return new OTLPLogExporter(options);
    }
  }
}

// Module hooks for ESM imports; resolves once the instrumentations' hooks are in place.
async function registerModuleHooks(): Promise<() => Promise<void>> {
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  return waitForAllMessagesAcknowledged;
}

// The modules whose instrumentations feed the metrics, loaded through
// require-in-the-middle when no module hooks are registered.
const PATCHED_ON_REQUIRE = ['http', 'pg'];

// The instrumentations Baton loads, by the names OpenTelemetry's Node
// auto-instrumentations use (OTEL_NODE_DISABLED_INSTRUMENTATIONS takes them),
// each with the signal that needs it. Without traces, only those whose
// metrics the dashboards chart (HTTP durations, the pg pool and queries, the
// runtime) are loaded: the others would only wrap calls to make spans nobody
// records. Each is imported on its own (the auto-instrumentations package
// imports some forty).
const INSTRUMENTATIONS: Record<InstrumentationName, { needs: 'metrics' | 'logs' | 'traces'; load: (on: { tracing: boolean; logging: boolean }) => Promise<Instrumentation> }> = {
  http: {
    needs: 'metrics',
    load: async () => new (await import('@opentelemetry/instrumentation-http')).HttpInstrumentation({ ignoreIncomingRequestHook: (request) => request.url === '/metrics' || (request.url ?? '').startsWith('/health/') }),
  },
  // Its query and pool metrics are recorded only where it would make a span:
  // with traces, under a request's span (no trace of its own for every
  // background query); without, for every query, as there is no context to
  // find a parent in (and no span is recorded either way). Its pool gauges,
  // added to on every acquire and release, are summed in plain numbers and
  // reported when metrics are collected.
  pg: {
    needs: 'metrics',
    load: async ({ tracing }) => {
      const { PgInstrumentation } = await import('@opentelemetry/instrumentation-pg');
      const instrumentation = new PgInstrumentation({ requireParentSpan: tracing, ignoreConnectSpans: true, requestHook: nameNamedStatement });
      const setMeterProvider = instrumentation.setMeterProvider.bind(instrumentation);
      instrumentation.setMeterProvider = (provider) => setMeterProvider(withDeferredUpDownCounters(provider));
      return instrumentation;
    },
  },
  'runtime-node': { needs: 'metrics', load: async () => new (await import('@opentelemetry/instrumentation-runtime-node')).RuntimeNodeInstrumentation() },
  // Correlates every log line with the active span; sends the records over OTLP when configured.
  pino: { needs: 'logs', load: async ({ logging }) => new (await import('@opentelemetry/instrumentation-pino')).PinoInstrumentation({ disableLogSending: !logging }) },
  express: {
    needs: 'traces',
    load: async () => {
      const { ExpressInstrumentation, ExpressLayerType } = await import('@opentelemetry/instrumentation-express');
      // One span for the route handler, not one per middleware layer: each span costs CPU on every request.
      return new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] });
    },
  },
  'nestjs-core': { needs: 'traces', load: async () => new (await import('@opentelemetry/instrumentation-nestjs-core')).NestInstrumentation() },
  ioredis: { needs: 'traces', load: async () => new (await import('@opentelemetry/instrumentation-ioredis')).IORedisInstrumentation({ requireParentSpan: true }) },
  undici: { needs: 'traces', load: async () => new (await import('@opentelemetry/instrumentation-undici')).UndiciInstrumentation() },
  prisma: { needs: 'traces', load: async () => (await import('src/platform/database/prisma.instrumentation.js')).prismaInstrumentation() },
};

async function loadInstrumentations(tracing: boolean, logging: boolean, disabled: readonly InstrumentationName[]): Promise<Instrumentation[]> {
  const wanted = (Object.keys(INSTRUMENTATIONS) as InstrumentationName[]).filter((name) => {
    const { needs } = INSTRUMENTATIONS[name];
    return !disabled.includes(name) && (needs === 'metrics' || tracing || (needs === 'logs' && logging));
  });
  return Promise.all(wanted.map((name) => INSTRUMENTATIONS[name].load({ tracing, logging })));
}
