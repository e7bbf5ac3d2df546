import { loadConfig } from 'src/config/config.loader.js';
import { wouldExport } from 'src/platform/telemetry/telemetry.js';
import { configProblems } from 'test/support/test-config.js';

describe('telemetry settings', () => {
  it('reads the standard OTEL_* variables', () => {
    const { telemetry } = loadConfig({}, {
      OTEL_SERVICE_NAME: 'baton-eu',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod, service.namespace=tools%2Cagents',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc=def',
      OTEL_METRICS_EXPORTER: 'otlp, console',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(telemetry).toMatchObject({
      serviceName: 'baton-eu',
      resourceAttributes: { 'deployment.environment.name': 'prod', 'service.namespace': 'tools,agents' },
      otlpEndpoint: 'http://collector:4318',
      otlpHeaders: { 'x-api-key': 'abc=def' },
      metricsExporter: ['otlp', 'console'],
      sampler: 'parentbased_traceidratio',
      samplerArg: 0.25,
    });
  });

  it('names the bad setting and what is allowed', () => {
    expect(configProblems({ OTEL_RESOURCE_ATTRIBUTES: 'region' })).toContain('OTEL_RESOURCE_ATTRIBUTES = "region": "region" is not key=value; write pairs like a=1,b=2');
    expect(configProblems({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL = "grpc".*http\/protobuf.*http\/json/);
    expect(configProblems({ OTEL_METRICS_EXPORTER: 'prometheus,statsd' })).toContain('must be one or more of prometheus, otlp, console, none');
    expect(configProblems({ OTEL_TRACES_SAMPLER_ARG: '2' })).toContain('OTEL_TRACES_SAMPLER_ARG = "2"');
    expect(configProblems({ OTEL_SDK_DISABLED: 'yes' })).toContain('must be true or false');
    expect(configProblems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toContain('must be an http(s) URL');
  });
});

describe('wouldExport', () => {
  it('starts telemetry for `baton serve` by default: /metrics is on', () => {
    expect(wouldExport(loadConfig({}, {}), 'serve')).toBe(true);
    expect(wouldExport(loadConfig({}, {}), 'worker')).toBe(true);
  });

  it('leaves it off where nothing would be exported', () => {
    expect(wouldExport(loadConfig({}, {}), 'stdio')).toBe(false);
    expect(wouldExport(loadConfig({}, { OTEL_SDK_DISABLED: 'true' }), 'serve')).toBe(false);
    expect(wouldExport(loadConfig({}, { OTEL_METRICS_EXPORTER: 'none' }), 'serve')).toBe(false);
  });

  it('turns it on for stdio once an OTLP endpoint is set', () => {
    expect(wouldExport(loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), 'stdio')).toBe(true);
  });
});
