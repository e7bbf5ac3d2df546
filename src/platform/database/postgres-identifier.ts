import { createHash } from 'node:crypto';

// A PostgreSQL identifier from a free-form prefix: lower case letters, digits
// and underscores, at most 63 bytes (long ones keep a hash of the whole).
export function postgresIdentifier(name: string): string {
  const plain = name.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^[^a-z_]/, '_$&');
  if (plain.length <= 63) return plain;
  return `${plain.slice(0, 54)}_${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}
