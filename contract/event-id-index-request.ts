import type { UpdateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { EventAttr, eventIdIndex } from './table-schemas';

/** The UpdateTable request that adds `event-id-index` to a legacy (on-demand) events table. */
export function createEventIdIndexRequest(tableName: string): UpdateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: EventAttr.eventId, AttributeType: 'S' }],
    GlobalSecondaryIndexUpdates: [{ Create: eventIdIndex }],
  };
}
