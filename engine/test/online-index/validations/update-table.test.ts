import { UpdateTableCommand, type GlobalSecondaryIndexUpdate } from '@aws-sdk/client-dynamodb';
import { addIndex, createIndex, createTable, deleteIndex, describeTable, indexOf, useEngines } from '../support';

// UpdateTable's validation (validations/update-table.ts): what DynamoDB refuses, refused the same way.
describe('UpdateTable validation of GlobalSecondaryIndexUpdates', () => {
  const engines = useEngines();

  test.each<[string, GlobalSecondaryIndexUpdate[]]>([
    ['two creations', [createIndex('first-index'), createIndex('second-index')]],
    ['two deletions', [{ Delete: { IndexName: 'first-index' } }, { Delete: { IndexName: 'second-index' } }]],
    ['a creation and a deletion', [createIndex('first-index'), { Delete: { IndexName: 'second-index' } }]],
  ])('rejects %s in one request with LimitExceededException, as DynamoDB does', async (_name, updates) => {
    const { client } = engines.quick();
    const tableName = await createTable(client, []);

    const request = client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'event_id', AttributeType: 'S' }],
        GlobalSecondaryIndexUpdates: updates,
      }),
    );

    await expect(request).rejects.toMatchObject({
      name: 'LimitExceededException',
      message: 'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table',
    });
  });

  test('rejects an index name that is already taken', async () => {
    const { client } = engines.quick();
    const tableName = await createTable(client, [], true);

    await expect(addIndex(client, tableName)).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('already exists'),
    });
  });

  test('requires the key attributes of the new index in AttributeDefinitions', async () => {
    const { client } = engines.quick();
    const tableName = await createTable(client, []);

    const request = client.send(
      new UpdateTableCommand({ TableName: tableName, GlobalSecondaryIndexUpdates: [createIndex()] }),
    );

    await expect(request).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('not defined in AttributeDefinitions'),
    });
    expect(indexOf(await describeTable(client, tableName))).toBeUndefined();
  });

  test('fails with ResourceNotFoundException for an index that does not exist', async () => {
    const { client } = engines.quick();
    const tableName = await createTable(client, []);

    await expect(deleteIndex(client, tableName, 'no-such-index')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
