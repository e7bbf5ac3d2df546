import type { IncomingMessage, ServerResponse } from 'node:http';

import { PinoLogger } from 'nestjs-pino';

let lastRequestId = 0;

// One sequence of request ids, whether Nest's request logging (pino-http) or
// a route served beside Nest's router writes the line.
export function nextRequestId(): number {
  lastRequestId = lastRequestId === Number.MAX_SAFE_INTEGER ? 1 : lastRequestId + 1;
  return lastRequestId;
}

// The line pino-http writes for Nest's routes, for a route served beside
// them, at less cost per request (no child logger per request): through the
// same logger, so the same serializers shape it (method, URL, status; the
// headers only at debug level) and the same redaction applies. Written when
// the response ends, or when the client leaves first ("request aborted").
export function logRequest(req: IncomingMessage & { id?: unknown }, res: ServerResponse): number {
  const started = Date.now();
  const id = nextRequestId();
  req.id = id;
  const done = (): void => {
    res.off('close', done);
    res.off('finish', done);
    const responseTime = Date.now() - started;
    const logger = PinoLogger.root;
    if (res.statusCode >= 500) logger.error({ req, res, err: new Error(`failed with status code ${res.statusCode}`), responseTime }, 'request errored');
    else logger.info({ req, res, responseTime }, res.writableEnded ? 'request completed' : 'request aborted');
  };
  res.on('close', done);
  res.on('finish', done);
  return id;
}
