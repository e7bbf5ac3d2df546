import type { Attributes, MeterProvider } from '@opentelemetry/api';
import { MeterProvider as SdkMeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';

import { withDeferredUpDownCounters } from 'src/platform/telemetry/deferred-up-down-counters.js';

class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  async metrics(): Promise<MetricData[]> {
    const { resourceMetrics } = await this.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  }
}

// The same adds as the pg instrumentation makes: new attribute objects every
// time, keys in any order, several attribute sets per instrument.
function poolActivity(provider: MeterProvider): void {
  const meter = provider.getMeter('@opentelemetry/instrumentation-pg', '0.0.0');
  const connections = meter.createUpDownCounter('db.client.connection.count', { description: 'connections by state', unit: '{connection}' });
  const pending = meter.createUpDownCounter('db.client.connection.pending_requests', { unit: '{request}' });
  const state = (value: string, pool = 'main'): Attributes => ({ 'db.client.connection.state': value, 'db.client.connection.pool.name': pool });
  for (let i = 0; i < 50; i++) {
    connections.add(1, state('used'));
    connections.add(-1, { 'db.client.connection.pool.name': 'main', 'db.client.connection.state': 'idle' });
    pending.add(i % 3 === 0 ? 1 : 0, { 'db.client.connection.pool.name': 'main' });
  }
  connections.add(-20, state('used'));
  connections.add(4, state('idle', 'events'));
  meter.createHistogram('db.client.operation.duration', { unit: 's' }).record(0.004, { 'db.system.name': 'postgresql' });
}

const sortKey = (attributes: Attributes): string => JSON.stringify(Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b)));

async function exported(provider: (sdk: MeterProvider) => MeterProvider): Promise<unknown[]> {
  const reader = new CollectingReader();
  const sdk = new SdkMeterProvider({ readers: [reader] });
  poolActivity(provider(sdk));
  const metrics = await reader.metrics();
  await sdk.shutdown();
  return metrics
    .map((metric) => ({
      name: metric.descriptor.name,
      unit: metric.descriptor.unit,
      description: metric.descriptor.description,
      dataPointType: metric.dataPointType,
      monotonic: 'isMonotonic' in metric ? metric.isMonotonic : undefined,
      points: metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value })).sort((a, b) => sortKey(a.attributes).localeCompare(sortKey(b.attributes))),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('withDeferredUpDownCounters', () => {
  it('exports what the SDK\'s own UpDownCounters export for the same adds: names, units, attributes and totals', async () => {
    const direct = await exported((sdk) => sdk);
    const deferred = await exported(withDeferredUpDownCounters);
    expect(deferred).toEqual(direct);
    expect(deferred).toContainEqual(
      expect.objectContaining({
        name: 'db.client.connection.count',
        monotonic: false,
        points: [
          { attributes: { 'db.client.connection.pool.name': 'events', 'db.client.connection.state': 'idle' }, value: 4 },
          { attributes: { 'db.client.connection.pool.name': 'main', 'db.client.connection.state': 'idle' }, value: -50 },
          { attributes: { 'db.client.connection.pool.name': 'main', 'db.client.connection.state': 'used' }, value: 30 },
        ],
      }),
    );
  });

  it('keeps a total when the caller later changes the attributes object it passed', async () => {
    const reader = new CollectingReader();
    const sdk = new SdkMeterProvider({ readers: [reader] });
    const counter = withDeferredUpDownCounters(sdk).getMeter('m').createUpDownCounter('c');
    const attributes: Attributes = { state: 'used' };
    counter.add(2, attributes);
    attributes.state = 'idle';
    counter.add(1, attributes);
    const [metric] = await reader.metrics();
    expect(metric?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ state: 'used' }, 2],
      [{ state: 'idle' }, 1],
    ]);
    await sdk.shutdown();
  });

  it('creates observable instruments on the provider instead of synchronous ones, and leaves the others alone', () => {
    const created: string[] = [];
    const sdk = new SdkMeterProvider();
    const recording: MeterProvider = {
      getMeter: (name, version, options) => {
        const meter = sdk.getMeter(name, version, options);
        return new Proxy(meter, {
          get(target, property) {
            const value: unknown = Reflect.get(target, property);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              created.push(`${String(property)} ${String(args[0])}`);
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        });
      },
    };
    poolActivity(withDeferredUpDownCounters(recording));
    expect(created).toEqual(['createObservableUpDownCounter db.client.connection.count', 'createObservableUpDownCounter db.client.connection.pending_requests', 'createHistogram db.client.operation.duration']);
  });
});
