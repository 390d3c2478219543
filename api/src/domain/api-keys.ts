import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'tk_';
/** Tenant ids: short, URL-safe, and never starting with '#', which control records use. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A new random API key (`tk_` + 32 random bytes, base64url). */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 of a key: the only form in which keys are stored. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Short, non-secret prefix of a key for logs (`tk_3f9a...`). */
export function apiKeyPrefix(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 4)}...`;
}
