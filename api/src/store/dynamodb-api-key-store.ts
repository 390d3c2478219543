import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, storeCall } from './dynamodb-errors';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store';

interface ApiKeyItem {
  key_hash: string;
  tenant_id: string;
  name: string;
  created_at: string;
  revoked: boolean;
}

function fromItem(item: ApiKeyItem): ApiKeyRecord {
  return {
    keyHash: item.key_hash,
    tenantId: item.tenant_id,
    name: item.name,
    createdAt: item.created_at,
    revoked: item.revoked,
  };
}

/** `ApiKeyStore` on the DynamoDB keys table. */
export class DynamoDbApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const result = await storeCall(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { key_hash: keyHash } })),
    );
    return result.Item && fromItem(result.Item as ApiKeyItem);
  }

  async put(record: ApiKeyRecord): Promise<void> {
    const item: ApiKeyItem = {
      key_hash: record.keyHash,
      tenant_id: record.tenantId,
      name: record.name,
      created_at: record.createdAt,
      revoked: record.revoked,
    };
    await storeCall(() => this.doc.send(new PutCommand({ TableName: this.table, Item: item })));
  }

  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await storeCall(() =>
        this.doc.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: startKey })),
      );
      for (const item of (page.Items ?? []) as ApiKeyItem[]) records.push(fromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async revoke(keyHash: string): Promise<boolean> {
    try {
      await storeCall(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { key_hash: keyHash },
            UpdateExpression: 'SET revoked = :true',
            ConditionExpression: 'attribute_exists(key_hash)',
            ExpressionAttributeValues: { ':true': true },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
