import { Injectable } from '@nestjs/common';

import { McpResource, type ResourceDefinition } from 'src/mcp/mcp-resource.js';
import { CacheService } from 'src/platform/cache/cache.service.js';

export const CACHE_STATS_URI = 'handoff://cache';

// handoff://cache: hit and miss counts of the brief and summary caches in
// this Baton process since it started.
@Injectable()
@McpResource()
export class CacheStatsResource implements ResourceDefinition {
  readonly name = 'cache-stats';
  readonly scope = 'lifecycle:operate' as const;
  readonly title = 'Brief cache statistics';
  readonly description = 'Hits, misses and errors of the brief and summary caches of this Baton process since it started, and whether Redis answers. Errors mean the value was computed instead.';
  readonly uriTemplate = CACHE_STATS_URI;

  constructor(private readonly cache: CacheService) {}

  read(): Promise<unknown> {
    return Promise.resolve(this.cache.stats());
  }
}
