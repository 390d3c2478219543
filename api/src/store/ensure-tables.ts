import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  waitUntilTableExists,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { markEventIdIndexVerified } from './event-id-index-control';
import { apiKeysTableDefinition, eventsTableDefinition, type TableNames } from '../../../contract/table-schemas';

export interface EnsureTablesResult {
  created: string[];
  existing: string[];
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException')
      return false;
    throw error;
  }
}

/**
 * Creates the events and keys tables when missing, from the one schema module. A new events table has
 * `event-id-index` from the start (so it is complete by construction and marked verified), unless `legacy`.
 */
export async function ensureTables(
  client: DynamoDBClient,
  doc: DynamoDBDocumentClient,
  tables: TableNames,
  options: { legacy?: boolean } = {},
): Promise<EnsureTablesResult> {
  const result: EnsureTablesResult = { created: [], existing: [] };
  const definitions = [
    { input: eventsTableDefinition(tables.events, options), isEvents: true },
    { input: apiKeysTableDefinition(tables.apiKeys), isEvents: false },
  ];
  for (const { input, isEvents } of definitions) {
    const name = input.TableName ?? '';
    if (await tableExists(client, name)) {
      result.existing.push(name);
      continue;
    }
    await client.send(new CreateTableCommand(input));
    await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: name });
    if (isEvents && !options.legacy) await markEventIdIndexVerified(doc, name, 'table-creation');
    result.created.push(name);
  }
  return result;
}
