import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

export interface UpdateWatch {
  uris: string[];
  // Resolves when the next update for `uri` arrives.
  next(uri: string, timeoutMs?: number): Promise<void>;
}

// Collects notifications/resources/updated URIs as they arrive.
export function watchUpdates(client: Client): UpdateWatch {
  const uris: string[] = [];
  const waiters: { uri: string; resolve: () => void }[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
    uris.push(notification.params.uri);
    for (const waiter of waiters.filter((w) => w.uri === notification.params.uri)) waiter.resolve();
  });
  return {
    uris,
    next: (uri, timeoutMs = 5_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notifications/resources/updated for ${uri} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ uri, resolve: () => (clearTimeout(timer), resolve()) });
      }),
  };
}
