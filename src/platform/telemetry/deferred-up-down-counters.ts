import type { Attributes, Meter, MeterOptions, MeterProvider, MetricOptions, UpDownCounter } from '@opentelemetry/api';

// A MeterProvider whose UpDownCounters keep their running totals in plain
// numbers and report them when metrics are collected, through an observable
// UpDownCounter of the same name, unit and description; every other
// instrument is the provider's own. For an instrumentation that adds to
// gauges on every call: the pg instrumentation recounts the pool's used,
// idle and waiting connections with three adds on every acquire and every
// release, and each add through the SDK hashes its attributes and updates
// its storage, about 14 µs per query (docs/benchmarks.md, telemetry
// overhead). What is exported is the same: the same instruments, attributes
// and values, as cumulative sums.
export function withDeferredUpDownCounters(provider: MeterProvider): MeterProvider {
  return {
    getMeter(name: string, version?: string, options?: MeterOptions): Meter {
      const meter = provider.getMeter(name, version, options);
      return new Proxy(meter, {
        get(target, property, receiver) {
          if (property === 'createUpDownCounter') return (instrument: string, instrumentOptions?: MetricOptions) => deferredUpDownCounter(target, instrument, instrumentOptions);
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
}

function deferredUpDownCounter(meter: Meter, name: string, options?: MetricOptions): UpDownCounter {
  const totals = new Map<string, { value: number; attributes: Attributes }>();
  meter.createObservableUpDownCounter(name, options).addCallback((result) => {
    for (const { value, attributes } of totals.values()) result.observe(value, attributes);
  });
  return {
    add(value: number, attributes: Attributes = {}): void {
      const key = keyOf(attributes);
      const total = totals.get(key);
      if (total) total.value += value;
      else totals.set(key, { value, attributes: { ...attributes } });
    },
  };
}

// The attribute set's identity: its keys and values in key order.
function keyOf(attributes: Attributes): string {
  let key = '';
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    key += `${name}\u0000${typeof value === 'string' ? value : JSON.stringify(value)}\u0001`;
  }
  return key;
}
