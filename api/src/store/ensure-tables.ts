import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  waitUntilTableExists,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { markIndexVerified } from './index-control';
import {
  apiKeysTableDefinition,
  DERIVED_INDEX_NAMES,
  eventsTableDefinition,
  type TableNames,
} from '../../../contract/table-schemas';

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
 * every derived index from the start (so each is complete by construction and marked verified), unless
 * `legacy` (a table as created before them, for the migration to upgrade).
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
    if (isEvents && !options.legacy) {
      for (const index of DERIVED_INDEX_NAMES) await markIndexVerified(doc, name, index, 'table-creation');
    }
    result.created.push(name);
  }
  return result;
}
