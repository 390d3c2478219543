export interface ApiKeyRecord {
  keyHash: string;
  tenantId: string;
  name: string;
  createdAt: string;
  revoked: boolean;
}

/** Persistence of API keys, by SHA-256 hash only. */
export interface ApiKeyStore {
  getByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  put(record: ApiKeyRecord): Promise<void>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(keyHash: string): Promise<boolean>;
}
