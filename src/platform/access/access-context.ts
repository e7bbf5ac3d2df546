import { AsyncLocalStorage } from 'node:async_hooks';

import type { Principal } from 'src/platform/access/principal.js';

// Who is behind the work in progress, for code far from the request (the
// audit trail, rate limits) that should not need it passed down every call.
export interface AccessContext {
  readonly principal: Principal;
  // Where the request came from: the client's address over HTTP, `stdio` otherwise.
  readonly source: string;
}

const storage = new AsyncLocalStorage<AccessContext>();

export function runWithAccess<T>(context: AccessContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentAccess(): AccessContext | undefined {
  return storage.getStore();
}
