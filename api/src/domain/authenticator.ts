import { LRUCache } from 'lru-cache';
import { UnauthorizedError } from '../errors';
import type { ApiKeyStore } from '../store/api-key-store';
import { apiKeyPrefix, hashApiKey } from './api-keys';

/** Who a request acts for. */
export interface Principal {
  tenantId: string;
  /** Short non-secret prefix of the key, for logs. */
  keyPrefix: string;
}

interface CachedKey {
  tenantId: string | undefined;
}

const MAX_KEY_LENGTH = 256;
/** Unknown keys are remembered briefly, so a client retrying a bad key does not hit the table every time. */
const UNKNOWN_KEY_TTL_MS = 5000;

/** Resolves `X-API-Key` values to tenants through a short-lived in-process cache over the keys table. */
export class ApiKeyAuthenticator {
  private readonly cache: LRUCache<string, CachedKey>;

  constructor(store: ApiKeyStore, ttlMs: number) {
    this.cache = new LRUCache<string, CachedKey>({
      max: 10_000,
      ttl: Math.max(ttlMs, 1),
      // Concurrent requests with the same key share one table read.
      fetchMethod: async (keyHash, _stale, { options }) => {
        const record = await store.getByHash(keyHash);
        const tenantId = record && !record.revoked ? record.tenantId : undefined;
        if (tenantId === undefined) options.ttl = Math.min(UNKNOWN_KEY_TTL_MS, Math.max(ttlMs, 1));
        return { tenantId };
      },
    });
  }

  /** The principal of a key; `UnauthorizedError` when it is missing, unknown or revoked. */
  async authenticate(key: string | undefined): Promise<Principal> {
    if (!key) throw new UnauthorizedError('Missing X-API-Key header');
    if (key.length > MAX_KEY_LENGTH) throw new UnauthorizedError('Invalid API key');
    const cached = await this.cache.fetch(hashApiKey(key));
    if (!cached?.tenantId) throw new UnauthorizedError('Invalid API key');
    return { tenantId: cached.tenantId, keyPrefix: apiKeyPrefix(key) };
  }
}
