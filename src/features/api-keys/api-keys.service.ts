import { Inject, Injectable } from '@nestjs/common';

import { ApiKeyError } from 'src/features/api-keys/api-keys.errors.js';
import { ApiKeysRepository } from 'src/features/api-keys/api-keys.repository.js';
import type { ApiKeyRecord, CreateApiKeyInput, IssuedKey, StoredApiKey } from 'src/features/api-keys/api-keys.types.js';
import { parseKeyDuration } from 'src/features/api-keys/key-duration.js';
import { BATON_CONFIG } from 'src/config/config.module.js';
import type { BatonConfig } from 'src/config/config.schema.js';
import { isApiKeyId, issueApiKey } from 'src/platform/access/api-key.js';
import { NAMESPACE_NAME } from 'src/platform/access/principal.js';
import { isRole, isScope, type Role, type Scope } from 'src/platform/access/scopes.js';
import { AuditTrail } from 'src/platform/audit/audit-trail.js';
import { Clock } from 'src/platform/clock/clock.js';

const MAX_NAME = 128;
const MAX_AGENT_ID = 256;

export interface RotateOptions {
  // How long the old key keeps working beside the new one (e.g. `1h`); none by default.
  readonly grace?: string;
}

// Issuing, listing, rotating and revoking API keys (`baton keys`). A key's
// secret is returned once, at issue; only its hash is stored.
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly clock: Clock,
    private readonly audit: AuditTrail,
    @Inject(BATON_CONFIG) private readonly config: BatonConfig,
  ) {}

  async create(input: CreateApiKeyInput): Promise<IssuedKey> {
    const grants = validGrants(input);
    const ttlSeconds = input.expiresIn === undefined ? this.config.auth.apiKeyTtlSeconds : parseKeyDuration(input.expiresIn);
    const now = this.clock.now();
    const issued = issueApiKey();
    const key: StoredApiKey = { id: issued.id, name: grants.name, namespace: grants.namespace, agents: grants.agents, role: grants.role, scopes: grants.scopes, secretHash: issued.secretHash, createdAt: now, expiresAt: new Date(now.getTime() + ttlSeconds * 1000), lastUsedAt: null, revokedAt: null, replacesKeyId: null };
    await this.keys.insertKey(key);
    await this.audit.record({ action: 'key.created', namespace: key.namespace, target: key.id, outcome: 'success', detail: { name: key.name, agents: key.agents, role: key.role, scopes: key.scopes, expiresAt: key.expiresAt.toISOString() } });
    return { key: issued.key, record: withoutHash(key) };
  }

  list(namespace?: string): Promise<ApiKeyRecord[]> {
    if (namespace !== undefined && !NAMESPACE_NAME.test(namespace)) throw ApiKeyError.invalid('Namespace', namespace, 'use 1-128 characters of A-Z a-z 0-9 . _ : -');
    return this.keys.listKeys(namespace);
  }

  // A new key with the same grants and lifetime; the old one stops working
  // now, or after the grace period.
  async rotate(id: string, options: RotateOptions = {}): Promise<IssuedKey> {
    const old = await this.activeKey(id);
    const graceSeconds = options.grace === undefined ? 0 : parseKeyDuration(options.grace);
    const now = this.clock.now();
    const lifetimeMs = old.expiresAt.getTime() - old.createdAt.getTime();
    const issued = issueApiKey();
    const key: StoredApiKey = { ...old, id: issued.id, secretHash: issued.secretHash, createdAt: now, expiresAt: new Date(now.getTime() + lifetimeMs), lastUsedAt: null, revokedAt: null, replacesKeyId: old.id };
    const oldEndsAt = new Date(Math.min(now.getTime() + graceSeconds * 1000, old.expiresAt.getTime()));
    const oldEnd = graceSeconds === 0 ? { revokedAt: now } : { expiresAt: oldEndsAt };
    if (!(await this.keys.replaceKey(old.id, key, oldEnd))) throw ApiKeyError.alreadyRevoked(id);
    await this.audit.record({ action: 'key.rotated', namespace: key.namespace, target: old.id, outcome: 'success', detail: { newKeyId: key.id, oldKeyEndsAt: oldEndsAt.toISOString() } });
    return { key: issued.key, record: withoutHash(key) };
  }

  async revoke(id: string): Promise<ApiKeyRecord> {
    const key = await this.activeKey(id);
    const now = this.clock.now();
    if (!(await this.keys.revokeKey(key.id, now))) throw ApiKeyError.alreadyRevoked(id);
    await this.audit.record({ action: 'key.revoked', namespace: key.namespace, target: key.id, outcome: 'success', detail: { name: key.name } });
    return { ...withoutHash(key), revokedAt: now };
  }

  private async activeKey(id: string): Promise<StoredApiKey> {
    const key = isApiKeyId(id) ? await this.keys.findById(id) : null;
    if (key === null) throw ApiKeyError.notFound(id);
    if (key.revokedAt !== null && key.revokedAt <= this.clock.now()) throw ApiKeyError.alreadyRevoked(id);
    return key;
  }
}

interface ValidGrants {
  readonly namespace: string;
  readonly name: string;
  readonly agents: string[];
  readonly role: Role | null;
  readonly scopes: Scope[];
}

function validGrants(input: CreateApiKeyInput): ValidGrants {
  if (!NAMESPACE_NAME.test(input.namespace)) throw ApiKeyError.invalid('Namespace', input.namespace, 'use 1-128 characters of A-Z a-z 0-9 . _ : -');
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_NAME) throw ApiKeyError.invalid('Name', input.name, `give 1-${MAX_NAME} characters that say what the key is for, e.g. "ci-deploy"`);
  for (const agent of input.agents) {
    if (agent.length === 0 || agent.length > MAX_AGENT_ID) throw ApiKeyError.invalid('Agent id', agent, `use 1-${MAX_AGENT_ID} characters, as the agent passes it in agentId`);
  }
  if (input.role !== undefined && !isRole(input.role)) throw ApiKeyError.unknownRole(input.role);
  const scopes = (input.scopes ?? []).map((scope) => {
    if (!isScope(scope)) throw ApiKeyError.unknownScope(scope);
    return scope;
  });
  if (input.role === undefined && scopes.length === 0) throw ApiKeyError.noGrant();
  return { namespace: input.namespace, name, agents: [...new Set(input.agents)], role: input.role ?? null, scopes: [...new Set(scopes)] };
}

function withoutHash(key: StoredApiKey): ApiKeyRecord {
  const { secretHash: _hash, ...record } = key;
  return record;
}
