import type { UpdateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { derivedIndex, EVENT_ID_INDEX, eventsTableDefinition } from './table-schemas';

/**
 * The UpdateTable request that adds a derived index (DERIVED_INDEXES) to an existing (on-demand) events
 * table. DynamoDB wants a definition of every key attribute of the new index, those the table already
 * defines included (`sk`, the filter indexes' range key), so the table's definitions of them are added.
 */
export function createIndexRequest(tableName: string, indexName: string): UpdateTableCommandInput {
  const index = derivedIndex(indexName);
  const keyNames = new Set((index.definition.KeySchema ?? []).map((key) => key.AttributeName));
  const own = new Set(index.attributeDefinitions.map((definition) => definition.AttributeName));
  const fromTable = (eventsTableDefinition(tableName, { legacy: true }).AttributeDefinitions ?? []).filter(
    (definition) => keyNames.has(definition.AttributeName) && !own.has(definition.AttributeName),
  );
  return {
    TableName: tableName,
    AttributeDefinitions: [...index.attributeDefinitions, ...fromTable],
    GlobalSecondaryIndexUpdates: [{ Create: index.definition }],
  };
}

/** The UpdateTable request that adds `event-id-index` to a legacy (on-demand) events table. */
export function createEventIdIndexRequest(tableName: string): UpdateTableCommandInput {
  return createIndexRequest(tableName, EVENT_ID_INDEX);
}
