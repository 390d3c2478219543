import type { CreateTableCommandInput, GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';

/** Names of the two tables; configurable per stage. */
export interface TableNames {
  readonly events: string;
  readonly apiKeys: string;
}

export const DEFAULT_TABLE_NAMES: TableNames = {
  events: 'triggers-api-events',
  apiKeys: 'triggers-api-keys',
};

export const INBOX_INDEX = 'inbox-index';
export const EVENT_ID_INDEX = 'event-id-index';

/** Attribute names of the events table, shared by the store, the migration and the CDK stacks. */
export const EventAttr = {
  tenantId: 'tenant_id',
  sk: 'sk',
  eventId: 'event_id',
  inboxPk: 'inbox_pk',
  expiresAt: 'expires_at',
} as const;

export const ApiKeyAttr = { keyHash: 'key_hash' } as const;

/** The `event-id-index` definition, added by the migration on tables created before it existed. */
export const eventIdIndex: GlobalSecondaryIndex = {
  IndexName: EVENT_ID_INDEX,
  KeySchema: [{ AttributeName: EventAttr.eventId, KeyType: 'HASH' }],
  Projection: { ProjectionType: 'ALL' },
};

export const inboxIndex: GlobalSecondaryIndex = {
  IndexName: INBOX_INDEX,
  KeySchema: [
    { AttributeName: EventAttr.inboxPk, KeyType: 'HASH' },
    { AttributeName: EventAttr.sk, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'ALL' },
};

/** CreateTable input for the events table; `legacy` omits `event-id-index` (a pre-migration table). */
export function eventsTableDefinition(tableName: string, options: { legacy?: boolean } = {}): CreateTableCommandInput {
  const legacy = options.legacy ?? false;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: EventAttr.tenantId, KeyType: 'HASH' },
      { AttributeName: EventAttr.sk, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: EventAttr.tenantId, AttributeType: 'S' },
      { AttributeName: EventAttr.sk, AttributeType: 'S' },
      { AttributeName: EventAttr.inboxPk, AttributeType: 'S' },
      ...(legacy ? [] : [{ AttributeName: EventAttr.eventId, AttributeType: 'S' as const }]),
    ],
    GlobalSecondaryIndexes: legacy ? [inboxIndex] : [inboxIndex, eventIdIndex],
  };
}

/** CreateTable input for the API keys table (only SHA-256 hashes of keys are stored). */
export function apiKeysTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: ApiKeyAttr.keyHash, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: ApiKeyAttr.keyHash, AttributeType: 'S' }],
  };
}

/** Time-to-live attribute of the events table (expiry is also checked at read time). */
export const EVENTS_TTL_ATTRIBUTE = EventAttr.expiresAt;
