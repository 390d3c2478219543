import type { ApiKeyStore } from '../store/api-key-store';
import { generateApiKey, hashApiKey, TENANT_ID_PATTERN } from './api-keys';

/** Stores the hash of a key for a tenant (a fresh random key unless one is given) and returns the key in clear, once. */
export async function mintApiKey(
  store: ApiKeyStore,
  options: { tenantId: string; name: string; key?: string; now?: Date },
): Promise<string> {
  if (!TENANT_ID_PATTERN.test(options.tenantId)) {
    throw new Error(
      `Invalid tenant id '${options.tenantId}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  const key = options.key ?? generateApiKey();
  if (key.length < 16) throw new Error('An API key must be at least 16 characters');
  await store.put({
    keyHash: hashApiKey(key),
    tenantId: options.tenantId,
    name: options.name,
    createdAt: (options.now ?? new Date()).toISOString(),
    revoked: false,
  });
  return key;
}
