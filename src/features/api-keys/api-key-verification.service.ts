import { Inject, Injectable, Logger } from '@nestjs/common';

import { ApiKeysRepository } from 'src/features/api-keys/api-keys.repository.js';
import type { ApiKeyVerification, StoredApiKey } from 'src/features/api-keys/api-keys.types.js';
import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { apiKeyIdOf, hashApiKeySecret, parseApiKey, secretMatches } from 'src/platform/access/api-key.js';
import { Clock } from 'src/platform/clock/clock.js';

// The last-used time is written at most this often per key.
const LAST_USED_INTERVAL_MS = 60_000;
const MAX_CACHED_KEYS = 10_000;
// Compared against when the key id is unknown, so that an unknown id and a
// wrong secret take the same work.
const NO_KEY_HASH = hashApiKeySecret('no such key');

interface Cached {
  readonly key: StoredApiKey;
  readonly until: number;
}

// Checks a presented API key. Stored keys are cached for
// BATON_API_KEY_CACHE_SECONDS: a revocation takes effect on every replica
// within that time (at once with 0). The secret is compared on every request.
@Injectable()
export class ApiKeyVerificationService {
  private readonly logger = new Logger(ApiKeyVerificationService.name);
  private readonly cache = new Map<string, Cached>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly clock: Clock,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  async verify(token: string): Promise<ApiKeyVerification> {
    const parsed = parseApiKey(token);
    if (parsed === undefined) return { ok: false, reason: 'malformed', keyId: apiKeyIdOf(token) };
    const key = await this.stored(parsed.id);
    // Unknown id or wrong secret: one answer, so a key id cannot be probed.
    if (!secretMatches(parsed.secret, key?.secretHash ?? NO_KEY_HASH) || key === null) return { ok: false, reason: 'invalid', keyId: parsed.id };
    const now = this.clock.now();
    if (key.revokedAt !== null && key.revokedAt <= now) return { ok: false, reason: 'revoked', keyId: key.id };
    if (key.expiresAt <= now) return { ok: false, reason: 'expired', keyId: key.id };
    this.noteUse(key.id, now);
    const { secretHash: _hash, ...record } = key;
    return { ok: true, key: record };
  }

  private async stored(id: string): Promise<StoredApiKey | null> {
    const ttlMs = this.config.auth.apiKeyCacheSeconds * 1000;
    const now = Date.now();
    const cached = this.cache.get(id);
    if (cached !== undefined && cached.until > now) return cached.key;
    const key = await this.keys.findById(id);
    if (key === null || ttlMs === 0) return key;
    if (this.cache.size >= MAX_CACHED_KEYS) this.cache.clear();
    this.cache.set(id, { key, until: now + ttlMs });
    return key;
  }

  // Written in the background, at most once a minute per key by this process
  // (and by all replicas together: the write skips a recent time).
  private noteUse(id: string, at: Date): void {
    const last = this.lastUsedWritten.get(id);
    if (last !== undefined && at.getTime() - last < LAST_USED_INTERVAL_MS) return;
    if (this.lastUsedWritten.size >= MAX_CACHED_KEYS) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(id, at.getTime());
    this.keys.touchLastUsed(id, at, new Date(at.getTime() - LAST_USED_INTERVAL_MS)).catch((error: unknown) => {
      this.logger.warn({ keyId: id, err: (error as Error).message }, 'could not record the last use of an API key');
    });
  }
}
