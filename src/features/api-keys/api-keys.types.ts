import type { Role, Scope } from 'src/platform/access/scopes.js';

// What a key grants: the namespace it belongs to, the agents it may act as,
// and a role or scopes (or both).
export interface ApiKeyGrants {
  readonly namespace: string;
  readonly agents: readonly string[];
  readonly role: Role | null;
  readonly scopes: readonly Scope[];
}

// A key as listed: everything but its secret and hash.
export interface ApiKeyRecord extends ApiKeyGrants {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
  // The key this one replaced, when `baton keys rotate` issued it.
  readonly replacesKeyId: string | null;
}

export interface StoredApiKey extends ApiKeyRecord {
  readonly secretHash: Buffer;
}

export interface CreateApiKeyInput {
  readonly namespace: string;
  readonly name: string;
  readonly agents: readonly string[];
  readonly role?: string;
  readonly scopes?: readonly string[];
  // e.g. `30d`, `12h`; the configured default when omitted.
  readonly expiresIn?: string;
}

// A key just issued: the only time its full text is known.
export interface IssuedKey {
  readonly key: string;
  readonly record: ApiKeyRecord;
}

export type ApiKeyRejection = 'malformed' | 'invalid' | 'revoked' | 'expired';

export type ApiKeyVerification = { readonly ok: true; readonly key: ApiKeyRecord } | { readonly ok: false; readonly reason: ApiKeyRejection; readonly keyId?: string };
