import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttributeValue = string | number | boolean | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  // OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
  kind: number;
  status: { code?: number; message?: string };
  attributes: Record<string, AttributeValue>;
  links: { traceId: string; spanId: string }[];
  scope: string;
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  histogram?: { dataPoints: { attributes: Record<string, AttributeValue>; count: number; explicitBounds: number[] }[] };
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}

// A local OTLP/HTTP receiver (JSON encoding), standing in for a collector:
// it keeps every span and metric Baton exports.
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly metrics: ReceivedMetric[] = [];
  readonly paths: string[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        receiver.paths.push(request.url ?? '');
        try {
          receiver.accept(request.url ?? '', JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch (error) {
          response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: (error as Error).message }));
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections();
    await once(this.server, 'close').catch(() => undefined);
  }

  private accept(path: string, body: Record<string, unknown>): void {
    if (path === '/v1/traces') {
      for (const resource of (body.resourceSpans ?? []) as { scopeSpans: { scope: { name: string }; spans: Record<string, unknown>[] }[] }[]) {
        for (const scoped of resource.scopeSpans) {
          for (const span of scoped.spans) {
            this.spans.push({
              traceId: span.traceId as string,
              spanId: span.spanId as string,
              parentSpanId: (span.parentSpanId as string | undefined) ?? '',
              name: span.name as string,
              kind: span.kind as number,
              status: (span.status ?? {}) as ReceivedSpan['status'],
              attributes: attributes(span.attributes as OtlpAttribute[] | undefined),
              links: ((span.links ?? []) as { traceId: string; spanId: string }[]).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
              scope: scoped.scope.name,
            });
          }
        }
      }
    } else if (path === '/v1/metrics') {
      for (const resource of (body.resourceMetrics ?? []) as { scopeMetrics: { metrics: Record<string, unknown>[] }[] }[]) {
        for (const scoped of resource.scopeMetrics) {
          for (const metric of scoped.metrics) {
            const histogram = metric.histogram as { dataPoints: { attributes?: OtlpAttribute[]; count: string | number; explicitBounds: number[] }[] } | undefined;
            this.metrics.push({
              name: metric.name as string,
              unit: (metric.unit as string | undefined) ?? '',
              histogram: histogram && { dataPoints: histogram.dataPoints.map((p) => ({ attributes: attributes(p.attributes), count: Number(p.count), explicitBounds: p.explicitBounds })) },
            });
          }
        }
      }
    }
  }
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue;
  }
  return out;
}
