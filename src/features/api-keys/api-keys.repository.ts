import { Injectable } from '@nestjs/common';

import type { ApiKeyRecord, StoredApiKey } from 'src/features/api-keys/api-keys.types.js';
import { isRole, isScope, type Role, type Scope } from 'src/platform/access/scopes.js';
import { PrismaService } from 'src/platform/database/prisma.service.js';
import type { ApiKey } from 'src/platform/database/generated/client.js';

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insertKey(key: StoredApiKey): Promise<void> {
    await this.prisma.apiKey.create({ data: toRow(key) });
  }

  async findById(id: string): Promise<StoredApiKey | null> {
    const row = await this.prisma.apiKey.findUnique({ where: { id } });
    return row ? toStored(row) : null;
  }

  async listKeys(namespace?: string): Promise<ApiKeyRecord[]> {
    const rows = await this.prisma.apiKey.findMany({ where: namespace === undefined ? {} : { namespace }, orderBy: [{ namespace: 'asc' }, { createdAt: 'asc' }], omit: { secretHash: true } });
    return rows.map(toRecord);
  }

  // False when the key was revoked already (by a concurrent revoke).
  async revokeKey(id: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
    return count === 1;
  }

  // The new key and the old one's end in one transaction: revoked now, or
  // expiring at the end of a grace period. False when the old key was revoked meanwhile.
  async replaceKey(oldId: string, replacement: StoredApiKey, oldEnd: { revokedAt: Date } | { expiresAt: Date }): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.apiKey.updateMany({ where: { id: oldId, revokedAt: null }, data: oldEnd });
      if (count !== 1) return false;
      await tx.apiKey.create({ data: toRow(replacement) });
      return true;
    });
  }

  // At most one write per key per interval, whichever replica sees the use.
  async touchLastUsed(id: string, at: Date, unchangedSince: Date): Promise<void> {
    await this.prisma.apiKey.updateMany({ where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: unchangedSince } }] }, data: { lastUsedAt: at } });
  }
}

function toRow(key: StoredApiKey) {
  return {
    id: key.id,
    namespace: key.namespace,
    name: key.name,
    agents: [...key.agents],
    role: key.role,
    scopes: [...key.scopes],
    secretHash: new Uint8Array(key.secretHash),
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
    replacesKeyId: key.replacesKeyId,
  };
}

function toStored(row: ApiKey): StoredApiKey {
  return { ...toRecord(row), secretHash: Buffer.from(row.secretHash) };
}

function toRecord(row: Omit<ApiKey, 'secretHash'>): ApiKeyRecord {
  return {
    id: row.id,
    namespace: row.namespace,
    name: row.name,
    agents: row.agents,
    // Rows only hold what the service validated; a name a later Baton dropped grants nothing.
    role: row.role !== null && isRole(row.role) ? (row.role as Role) : null,
    scopes: row.scopes.filter((s): s is Scope => isScope(s)),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    replacesKeyId: row.replacesKeyId,
  };
}
