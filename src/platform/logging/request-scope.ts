import { AsyncLocalStorage } from 'node:async_hooks';

// The request a route served beside Nest's router is serving. Nest's routes
// get a child logger per request from pino-http, which puts the request on
// every line; such a route makes none (see logRequest), so its lines get the
// request's id from here instead, through the logger's mixin (requestBindings).
const servingRequest = new AsyncLocalStorage<number>();

export function inRequest<T>(id: number, work: () => T): T {
  return servingRequest.run(id, work);
}

// What every log line carries, for pino's mixin: the id of the request being
// served beside Nest's router, as `req.id` like on the request line. A line's
// own `req` (the request line's) comes first.
export function requestBindings(): { req?: { id: number } } {
  const id = servingRequest.getStore();
  return id === undefined ? {} : { req: { id } };
}
