import { UpdateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EVENT_ID_INDEX } from '../../../api/src/store/table-schemas';
import { describeIndexStatus } from './index-status';
import { sdkErrorName } from './sdk-errors';
import { requireName } from './validate-input';

export interface RollbackIndexInput {
  client: DynamoDBClient;
  tableName: string;
  /** Default `event-id-index`. */
  indexName?: string;
}

/** `deleting`: this call asked for the delete; `already-deleting` / `absent`: nothing left to ask. */
export type RollbackOutcome = 'deleting' | 'already-deleting' | 'absent';

export interface RollbackIndexResult {
  tableName: string;
  indexName: string;
  outcome: RollbackOutcome;
}

/**
 * Starts deleting the index (allowed while it is still backfilling); tolerates an index already gone
 * or going. The caller waits until DescribeTable no longer lists it. ResourceInUseException (table
 * UPDATING) is passed through for the caller to retry.
 */
export async function rollbackIndex(input: RollbackIndexInput): Promise<RollbackIndexResult> {
  const tableName = requireName('tableName', input.tableName);
  const indexName = input.indexName ?? EVENT_ID_INDEX;
  const result = (outcome: RollbackOutcome): RollbackIndexResult => ({ tableName, indexName, outcome });

  const status = await describeIndexStatus(input.client, tableName, indexName);
  if (status === 'absent') return result('absent');
  if (status === 'DELETING') return result('already-deleting');
  try {
    await input.client.send(
      new UpdateTableCommand({
        TableName: tableName,
        GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: indexName } }],
      }),
    );
    return result('deleting');
  } catch (error) {
    // Another caller may have deleted it between the describe and the update.
    if (sdkErrorName(error) === 'ValidationException' || sdkErrorName(error) === 'ResourceNotFoundException') {
      const now = await describeIndexStatus(input.client, tableName, indexName);
      if (now === 'absent') return result('absent');
      if (now === 'DELETING') return result('already-deleting');
    }
    throw error;
  }
}
