// OpenTelemetry for the reference server, as a team would add it to any
// Node service that answers HTTP and queries PostgreSQL: the HTTP and pg
// instrumentations, every span and metric exported over OTLP/HTTP protobuf
// to OTEL_EXPORTER_OTLP_ENDPOINT. Loaded before the server:
//   node --import bench/.cache/<build>/bench/reference/telemetry-preload.js minimal-server.js --http PORT
// The telemetry benchmark measures it on and off beside Baton's modes, so
// the overhead of tracing Baton has a floor measured in the same run.
import { register } from 'node:module';

import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createAddHookMessageChannel } from 'import-in-the-middle';

// The server is ESM: pg and node:http are patched through module hooks.
const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

const endpoint = (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318').replace(/\/+$/, '');
const sdk = new NodeSDK({
  serviceName: 'reference',
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))],
  metricReader: new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
    exportIntervalMillis: Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000),
  }),
  instrumentations: [new HttpInstrumentation(), new PgInstrumentation()],
});
sdk.start();
await waitForAllMessagesAcknowledged();
