import { createHash } from 'node:crypto';
import { EVENT_SK_PREFIX, parseEventSortKey } from './event';
import type { AttributeDefinition, CreateTableCommandInput, GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';

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
/** Pending events of a tenant from one source, oldest first (sparse like `inbox-index`). */
export const INBOX_SOURCE_INDEX = 'inbox-source-index';
/** Pending events of a tenant of one event type, oldest first. */
export const INBOX_TYPE_INDEX = 'inbox-type-index';
/** Pending events of a tenant from one source and of one event type, oldest first. */
export const INBOX_SOURCE_TYPE_INDEX = 'inbox-source-type-index';

/** Attribute names of the events table, shared by the store, the migration and the CDK stacks. */
export const EventAttr = {
  tenantId: 'tenant_id',
  sk: 'sk',
  eventId: 'event_id',
  inboxPk: 'inbox_pk',
  inboxSourcePk: 'inbox_source_pk',
  inboxTypePk: 'inbox_type_pk',
  inboxSourceTypePk: 'inbox_source_type_pk',
  source: 'source',
  eventType: 'event_type',
  expiresAt: 'expires_at',
} as const;

export const ApiKeyAttr = { keyHash: 'key_hash' } as const;

/** The `event-id-index` definition, added by the migration on tables created before it existed. */
export const eventIdIndex: GlobalSecondaryIndex = {
  IndexName: EVENT_ID_INDEX,
  KeySchema: [{ AttributeName: EventAttr.eventId, KeyType: 'HASH' }],
  Projection: { ProjectionType: 'ALL' },
};

export const inboxIndex: GlobalSecondaryIndex = sparseInboxIndex(INBOX_INDEX, EventAttr.inboxPk);

/** An inbox index keyed by a pending event's partition attribute, in creation order, with the whole event. */
function sparseInboxIndex(name: string, hashAttribute: string): GlobalSecondaryIndex {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: hashAttribute, KeyType: 'HASH' },
      { AttributeName: EventAttr.sk, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  };
}

/** An item of the events table, as the document client reads it. */
type Item = Readonly<Record<string, unknown>>;

/**
 * An index whose key attributes are derived from other attributes of an item, so that an existing table
 * can gain it: the migration workflow creates it, writes the derived attributes on the items that lack
 * them (`derive`), verifies it and marks it verified. The API writes the derived attributes on every
 * item it writes, and reads the index only once it is verified.
 */
export interface DerivedIndex {
  readonly definition: GlobalSecondaryIndex;
  /** Definitions of the index's key attributes (UpdateTable needs them). */
  readonly attributeDefinitions: readonly AttributeDefinition[];
  /** Attributes `derive` reads, besides `tenant_id` and `sk`. */
  readonly sourceAttributes: readonly string[];
  /** Attributes `derive` writes: the index's key attributes that are not the table's. */
  readonly derivedAttributes: readonly string[];
  /**
   * `permanent`: an item stays in the index until it is deleted (or expires). `while-pending`: it also
   * leaves when its event is acknowledged (the API removes the derived attribute with `inbox_pk`).
   */
  readonly membership: 'permanent' | 'while-pending';
  /** The derived attributes the item must carry to be in the index; undefined when it does not belong there. */
  derive(item: Item): Readonly<Record<string, string>> | undefined;
}

/**
 * Partition key of a filtered inbox: the tenant and the filter values as a JSON array (readable and
 * unambiguous whatever characters the values hold). Tenant ids are at most 64 characters and sources
 * and event types at most 100, so it stays far below DynamoDB's 2,048-byte key limit; a longer one
 * (a legacy tenant id) is replaced by its SHA-256 so that the write still fits.
 */
export function inboxFilterKey(tenantId: string, ...values: readonly string[]): string {
  const json = JSON.stringify([tenantId, ...values]);
  if (Buffer.byteLength(json, 'utf8') <= 1024) return json;
  return `sha256:${createHash('sha256').update(json, 'utf8').digest('base64url')}`;
}

/** Pending event items (those in `inbox-index`) whose named string attributes are all present. */
function pendingWith(item: Item, names: readonly string[]): string[] | undefined {
  const inboxPk = item[EventAttr.inboxPk];
  const sk = item[EventAttr.sk];
  if (typeof inboxPk !== 'string' || typeof sk !== 'string' || !sk.startsWith(EVENT_SK_PREFIX)) return undefined;
  const values = names.map((name) => item[name]);
  return values.every((value): value is string => typeof value === 'string') ? [inboxPk, ...values] : undefined;
}

function inboxFilterIndex(name: string, hashAttribute: string, filterAttributes: readonly string[]): DerivedIndex {
  return {
    definition: sparseInboxIndex(name, hashAttribute),
    attributeDefinitions: [{ AttributeName: hashAttribute, AttributeType: 'S' }],
    sourceAttributes: [EventAttr.inboxPk, ...filterAttributes],
    derivedAttributes: [hashAttribute],
    membership: 'while-pending',
    derive(item) {
      const parts = pendingWith(item, filterAttributes);
      return parts && { [hashAttribute]: inboxFilterKey(parts[0], ...parts.slice(1)) };
    },
  };
}

/** Every index whose key derives from other attributes, by name: the ones the migration workflow can add. */
export const DERIVED_INDEXES: Readonly<Record<string, DerivedIndex>> = {
  [EVENT_ID_INDEX]: {
    definition: eventIdIndex,
    attributeDefinitions: [{ AttributeName: EventAttr.eventId, AttributeType: 'S' }],
    sourceAttributes: [],
    derivedAttributes: [EventAttr.eventId],
    membership: 'permanent',
    derive(item) {
      // Legacy items carry their id only in the sort key.
      const sk = item[EventAttr.sk];
      const eventId = typeof sk === 'string' ? parseEventSortKey(sk)?.eventId : undefined;
      return eventId === undefined ? undefined : { [EventAttr.eventId]: eventId };
    },
  },
  [INBOX_SOURCE_INDEX]: inboxFilterIndex(INBOX_SOURCE_INDEX, EventAttr.inboxSourcePk, [EventAttr.source]),
  [INBOX_TYPE_INDEX]: inboxFilterIndex(INBOX_TYPE_INDEX, EventAttr.inboxTypePk, [EventAttr.eventType]),
  [INBOX_SOURCE_TYPE_INDEX]: inboxFilterIndex(INBOX_SOURCE_TYPE_INDEX, EventAttr.inboxSourceTypePk, [
    EventAttr.source,
    EventAttr.eventType,
  ]),
};

/** Names of the derived indexes, in the order a new table lists them. */
export const DERIVED_INDEX_NAMES = Object.keys(DERIVED_INDEXES);

/** The derived index of that name; throws for a name the schema does not define. */
export function derivedIndex(name: string): DerivedIndex {
  const index = DERIVED_INDEXES[name];
  if (!index) throw new Error(`No derived index ${name}: known are ${DERIVED_INDEX_NAMES.join(', ')}`);
  return index;
}

/** Attributes an item's derived-index keys are removed with when its event is acknowledged. */
export const PENDING_ONLY_ATTRIBUTES = [
  EventAttr.inboxPk,
  ...DERIVED_INDEX_NAMES.flatMap((name) =>
    derivedIndex(name).membership === 'while-pending' ? derivedIndex(name).derivedAttributes : [],
  ),
];

/**
 * CreateTable input for the events table. A new table has every index. `legacy` gives a table as created
 * before the derived indexes existed (only `inbox-index`), which the migration workflow upgrades;
 * `derivedIndexes` names the derived indexes to include (a stack adding them to an existing table one
 * deploy at a time). An unknown name throws.
 */
export function eventsTableDefinition(
  tableName: string,
  options: { legacy?: boolean; derivedIndexes?: readonly string[] } = {},
): CreateTableCommandInput {
  const derived = options.legacy ? [] : (options.derivedIndexes ?? DERIVED_INDEX_NAMES).map(derivedIndex);
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
      ...derived.flatMap((index) => index.attributeDefinitions),
    ],
    GlobalSecondaryIndexes: [inboxIndex, ...derived.map((index) => index.definition)],
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
