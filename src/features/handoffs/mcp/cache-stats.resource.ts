import { Injectable } from '@nestjs/common';

import type { McpCaller } from 'src/mcp/mcp-caller.js';
import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import { operatorNamespace } from 'src/platform/access/access.errors.js';
import { CacheService } from 'src/platform/cache/cache.service.js';

export const CACHE_STATS_URI = 'handoff://cache';

// handoff://cache: hit and miss counts of the brief and summary caches in
// this Baton process since it started, for the caller's namespace (admins:
// another, or all).
@Injectable()
@McpResource()
export class CacheStatsResource implements ResourceDefinition {
  readonly name = 'cache-stats';
  readonly scope = 'lifecycle:operate' as const;
  readonly title = 'Brief cache statistics';
  readonly description = 'Hits, misses and errors of the brief and summary caches of this Baton process since it started, for your namespace (admins: ?namespace=<name> or ?namespace=*), and whether Redis answers. Errors mean the value was computed instead.';
  readonly uriTemplate = CACHE_STATS_URI;
  readonly queryParameters = ['namespace'] as const;

  constructor(private readonly cache: CacheService) {}

  read(_variables: Record<string, string>, query: URLSearchParams, caller: McpCaller): Promise<unknown> {
    return Promise.resolve(this.cache.stats(operatorNamespace(caller.principal, query.get('namespace') ?? undefined)));
  }
}
