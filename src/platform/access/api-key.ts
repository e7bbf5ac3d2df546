import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// A Baton API key: `baton_<key id>_<secret>`. The fixed prefix lets secret
// scanners (and Baton's own redaction) recognise a leaked key; the key id is
// public (it names the key in `baton keys list` and in the audit trail); the
// secret is 256 random bits written as 43 base62 characters.
export const API_KEY_PREFIX = 'baton_';
const ID_BYTES = 8;
const SECRET_BYTES = 32;
const SECRET_CHARS = 43;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Anywhere in a text (redaction) and as a whole token (verification).
export const API_KEY_IN_TEXT = /\bbaton_[0-9a-f]{16}_[0-9A-Za-z]{43}\b/g;
const API_KEY = /^baton_([0-9a-f]{16})_([0-9A-Za-z]{43})$/;
const KEY_ID = /^[0-9a-f]{16}$/;

export interface IssuedApiKey {
  readonly id: string;
  // The whole key, shown once to whoever created it.
  readonly key: string;
  readonly secretHash: Buffer;
}

export interface ParsedApiKey {
  readonly id: string;
  readonly secret: string;
}

export function issueApiKey(): IssuedApiKey {
  const id = randomBytes(ID_BYTES).toString('hex');
  const secret = base62(randomBytes(SECRET_BYTES));
  return { id, key: `${API_KEY_PREFIX}${id}_${secret}`, secretHash: hashApiKeySecret(secret) };
}

// True for what is meant as an API key (the prefix), valid or not: such a
// bearer token is checked as a key, never sent to the OAuth verifier.
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export function parseApiKey(token: string): ParsedApiKey | undefined {
  const match = API_KEY.exec(token);
  return match ? { id: match[1] as string, secret: match[2] as string } : undefined;
}

// The key id, if the text has one where the key format puts it; for the audit
// trail of a key that failed to verify.
export function apiKeyIdOf(token: string): string | undefined {
  const id = token.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + 16);
  return looksLikeApiKey(token) && KEY_ID.test(id) ? id : undefined;
}

export function isApiKeyId(value: string): boolean {
  return KEY_ID.test(value);
}

// SHA-256 without salt or stretching is right here: the secret is 256 random
// bits, not a password, so there is no dictionary to slow down, and a fast
// hash keeps verification cheap on every request.
export function hashApiKeySecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

// Constant-time comparison of the presented secret's hash with the stored one.
export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const presented = hashApiKeySecret(secret);
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}

// Big-endian base62 of the bytes, left-padded to SECRET_CHARS (62^43 > 2^256).
function base62(bytes: Buffer): string {
  let value = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (value > 0n) {
    out = BASE62.charAt(Number(value % 62n)) + out;
    value /= 62n;
  }
  return out.padStart(SECRET_CHARS, '0');
}
