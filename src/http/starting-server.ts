import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

import { securityHeaders } from 'src/http/security-headers.js';

// Requests held for the application at most; one more is answered 503.
const MAX_HELD_REQUESTS = 256;
const RETRY_AFTER_SECONDS = 1;

// Loading the application and opening the database take a second or more.
// `baton serve` listens before that, so that an orchestrator's liveness probe
// sees a process that is up and a readiness probe sees one that is not ready
// yet, instead of refused connections. Meanwhile /health/live answers 200 and
// /health/ready 503; every other request (MCP, REST, metrics) waits, unread,
// and the application answers it once it takes the server over. The server
// tracks its connections from the start, so that closing the application
// can end them all, whenever they were opened.
export class StartingServer {
  private readonly held: [IncomingMessage, ServerResponse][] = [];
  private readonly sockets = new Set<Socket>();
  private readonly headers = securityHeaders();
  private application: RequestListener | undefined;

  private constructor(readonly server: Server) {
    server.on('request', this.onRequest);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  // Listening on host:port; an address in use or not available is named in
  // the error, with what to change.
  static async listen(host: string, port: number): Promise<StartingServer> {
    const starting = new StartingServer(createServer());
    await new Promise<void>((resolve, reject) => {
      const fail = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
      starting.server.once('error', fail);
      starting.server.listen(port, host, () => {
        starting.server.off('error', fail);
        resolve();
      });
    });
    return starting;
  }

  // The application answers every request from now on, the held ones first,
  // in the order they came.
  handOver(application: RequestListener): void {
    if (this.application) throw new Error('the server was handed over already');
    this.application = application;
    this.server.off('request', this.onRequest);
    this.server.on('request', application);
    for (const [req, res] of this.held.splice(0)) application(req, res);
  }

  // Ends every connection, idle or not (a stopping process does not wait for
  // clients' open streams).
  destroyConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // Only reads of the probes are answered here; anything else waits for the
    // application, which answers it as it always does (a POST to /health/live: 404).
    const path = req.method === 'GET' || req.method === 'HEAD' ? (req.url ?? '/').split('?', 1)[0] : undefined;
    if (path === '/health/live') return this.answer(req, res, 200, { status: 'ok', info: {}, error: {}, details: {} });
    if (path === '/health/ready') {
      const starting = { application: { status: 'down', message: 'Baton is starting: it loads and opens its database, and is ready in a moment' } };
      return this.answer(req, res, 503, { status: 'error', info: {}, error: starting, details: starting });
    }
    if (this.held.length >= MAX_HELD_REQUESTS) {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      return this.answer(req, res, 503, { statusCode: 503, error: 'Service Unavailable', message: `Baton is starting and already holds ${MAX_HELD_REQUESTS} requests for when it is ready; retry in ${RETRY_AFTER_SECONDS} s` });
    }
    const entry: [IncomingMessage, ServerResponse] = [req, res];
    this.held.push(entry);
    // A client that gives up waiting is forgotten.
    res.once('close', () => {
      const at = this.held.indexOf(entry);
      if (at !== -1) this.held.splice(at, 1);
    });
  };

  // Probes' connections are not kept open: each answer here closes its own.
  private answer(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    this.headers(req as never, res as never, () => {
      const json = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-store', Connection: 'close' });
      res.end(req.method === 'HEAD' ? undefined : json);
    });
  }
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') return new Error(`${host}:${port} is in use by another process: stop it, or choose another port with --port or BATON_HTTP_PORT`);
  if (error.code === 'EADDRNOTAVAIL') return new Error(`${host} is not an address of this machine: listen on one of its addresses (0.0.0.0 for all) with --host or BATON_HTTP_HOST`);
  if (error.code === 'EACCES') return new Error(`listening on ${host}:${port} is not permitted (ports below 1024 need privileges): choose another port with --port or BATON_HTTP_PORT`);
  return error;
}
