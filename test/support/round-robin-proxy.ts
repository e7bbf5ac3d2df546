import { once } from 'node:events';
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Routed {
  method: string;
  upstream: number;
}

// An ordinary load balancer in front of several `baton serve` replicas:
// round robin per HTTP request, no session affinity, responses (SSE streams
// included) piped through. Like nginx's proxy_next_upstream, a request whose
// connection is refused is tried on the next replica; one that fails after
// it was sent answers 502.
export class RoundRobinProxy {
  readonly routed: Routed[] = [];
  private next = 0;

  private constructor(
    private readonly server: Server,
    private readonly upstreams: URL[],
  ) {}

  static async start(upstreams: URL[]): Promise<RoundRobinProxy> {
    const server = createServer();
    const proxy = new RoundRobinProxy(server, upstreams);
    server.on('request', (req, res) => void proxy.route(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  get url(): URL {
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}/mcp`);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const first = this.next++;
    for (let tried = 0; tried < this.upstreams.length; tried++) {
      const index = (first + tried) % this.upstreams.length;
      const outcome = await this.send(index, req, body, res);
      if (outcome === 'sent') return;
    }
    res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'no replica answered' }, id: null }));
  }

  private send(index: number, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<'sent' | 'refused'> {
    const upstream = this.upstreams[index] as URL;
    return new Promise((resolve) => {
      const headers = { ...req.headers, host: upstream.host };
      const out = forward({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers }, (answer) => {
        this.routed.push({ method: req.method ?? '', upstream: index });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        resolve('sent');
      });
      out.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ECONNREFUSED') return resolve('refused');
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: `replica failed: ${error.message}` }, id: null }));
        else res.destroy();
        resolve('sent');
      });
      res.on('close', () => out.destroy());
      out.end(body);
    });
  }

  async close(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections();
    await once(this.server, 'close').catch(() => undefined);
  }
}
