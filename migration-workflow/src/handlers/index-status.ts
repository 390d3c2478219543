import { DescribeTableCommand, type DynamoDBClient, type IndexStatus } from '@aws-sdk/client-dynamodb';
import { TableNotFoundError } from '../errors';
import { isResourceNotFound } from './sdk-errors';

/** Status of a global secondary index, or `absent` when the table has no such index. */
export async function describeIndexStatus(
  client: DynamoDBClient,
  tableName: string,
  indexName: string,
): Promise<IndexStatus | 'absent'> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === indexName);
    return index?.IndexStatus ?? (index ? 'CREATING' : 'absent');
  } catch (error) {
    if (isResourceNotFound(error)) throw new TableNotFoundError(`Table ${tableName} does not exist`, { cause: error });
    throw error;
  }
}
