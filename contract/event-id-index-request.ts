import type { UpdateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { derivedIndex, EVENT_ID_INDEX } from './table-schemas';

/** The UpdateTable request that adds a derived index (DERIVED_INDEXES) to an existing (on-demand) events table. */
export function createIndexRequest(tableName: string, indexName: string): UpdateTableCommandInput {
  const index = derivedIndex(indexName);
  return {
    TableName: tableName,
    AttributeDefinitions: [...index.attributeDefinitions],
    GlobalSecondaryIndexUpdates: [{ Create: index.definition }],
  };
}

/** The UpdateTable request that adds `event-id-index` to a legacy (on-demand) events table. */
export function createEventIdIndexRequest(tableName: string): UpdateTableCommandInput {
  return createIndexRequest(tableName, EVENT_ID_INDEX);
}
