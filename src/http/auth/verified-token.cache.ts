import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { LRUCache } from 'lru-cache';

// Tokens remembered at once, and for how long at most: a key the issuer
// withdraws stops being trusted for cached tokens within this time.
const MAX_TOKENS = 10_000;
const MAX_AGE_MS = 5 * 60_000;

// Remembers access tokens that passed verification, so a client sending the
// same token on every request costs one signature check, not one per
// request (docs/benchmarks.md, authentication on vs off). The token's own
// expiry still applies: an expired token is verified again, and refused
// with the verifier's reason. Refused tokens are never remembered.
export class VerifiedTokenCache implements OAuthTokenVerifier {
  // Wall-clock time, as for the tokens' own expiry.
  private readonly verified = new LRUCache<string, AuthInfo>({ max: MAX_TOKENS, ttl: MAX_AGE_MS, ttlResolution: 0, perf: Date });

  constructor(private readonly verifier: OAuthTokenVerifier) {}

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const known = this.verified.get(token);
    if (known && (known.expiresAt === undefined || known.expiresAt > Date.now() / 1000)) return known;
    const info = await this.verifier.verifyAccessToken(token);
    this.verified.set(token, info);
    return info;
  }
}
