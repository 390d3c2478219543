import { DeleteItemCommand, PutItemCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  addIndex,
  INDEX,
  createTable,
  deleteIndex,
  describeTable,
  indexedKeys,
  indexOf,
  isActiveWithIndex,
  isActiveWithoutIndex,
  item,
  LEGACY_ITEMS,
  queryByEventId,
  useEngines,
  waitForTable,
} from '../support';

// The UpdateTable action (actions/update-table.ts): creating and deleting an index online, on the real engine.
describe('UpdateTable with GlobalSecondaryIndexUpdates', () => {
  const engines = useEngines();

  test('reports the index CREATING and Backfilling, the table UPDATING, with the new attribute defined', async () => {
    const { client } = engines.observable();
    const tableName = await createTable(client, LEGACY_ITEMS);

    const { TableDescription: response } = await addIndex(client, tableName);
    const described = await describeTable(client, tableName);

    for (const table of [response, described]) {
      expect(table?.TableStatus).toBe('UPDATING');
      expect(table && indexOf(table)).toMatchObject({ IndexStatus: 'CREATING', Backfilling: true });
      expect(table?.AttributeDefinitions).toEqual(
        expect.arrayContaining([{ AttributeName: 'event_id', AttributeType: 'S' }]),
      );
    }
  });

  test('rejects any further UpdateTable while the index is being created', async () => {
    const { client } = engines.observable();
    const tableName = await createTable(client, LEGACY_ITEMS);
    await addIndex(client, tableName);

    await expect(addIndex(client, tableName, 'source-index', 'source')).rejects.toMatchObject({
      name: 'ResourceInUseException',
    });
    await expect(
      client.send(
        new UpdateTableCommand({
          TableName: tableName,
          BillingMode: 'PROVISIONED',
          ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceInUseException' });
  });

  test('indexes existing and newly written items whose key has the declared type, then becomes ACTIVE', async () => {
    const { client } = engines.observable();
    const tableName = await createTable(client, LEGACY_ITEMS);

    await addIndex(client, tableName);
    await client.send(
      new PutItemCommand({ TableName: tableName, Item: item('written-while-creating', { S: 'id-4' }) }),
    );
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'indexed-3' } } }));
    const whileWriting = await describeTable(client, tableName);
    const table = await waitForTable(client, tableName, isActiveWithIndex);

    expect(indexOf(whileWriting)?.IndexStatus).toBe('CREATING');
    expect(indexOf(table)?.Backfilling).toBeUndefined();
    expect(await indexedKeys(client, tableName)).toEqual(['indexed-1', 'indexed-2', 'written-while-creating']);
    const { Items } = await queryByEventId(client, tableName, 'id-4');
    expect(Items).toEqual([item('written-while-creating', { S: 'id-4' })]);
  });

  test('reports the index DELETING, then removes it with its attribute definition; reads fail throughout', async () => {
    const { client } = engines.observable();
    const tableName = await createTable(client, LEGACY_ITEMS.slice(0, 3), true);

    const { TableDescription: response } = await deleteIndex(client, tableName);
    const readWhileDeleting: unknown = await queryByEventId(client, tableName, 'id-1').catch((error: unknown) => error);
    const table = await waitForTable(client, tableName, isActiveWithoutIndex);

    expect(response?.TableStatus).toBe('UPDATING');
    expect(response && indexOf(response)?.IndexStatus).toBe('DELETING');
    expect(readWhileDeleting).toMatchObject({ name: 'ValidationException' });
    await expect(queryByEventId(client, tableName, 'id-1')).rejects.toMatchObject({
      name: 'ValidationException',
      message: `The table does not have the specified index: ${INDEX}`,
    });
    expect(table.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
  });

  test('deletes an index that is still backfilling, which is how a failed creation is rolled back', async () => {
    const { client } = engines.observable();
    const tableName = await createTable(client, LEGACY_ITEMS);
    await addIndex(client, tableName);

    const { TableDescription: response } = await deleteIndex(client, tableName);
    const table = await waitForTable(client, tableName, isActiveWithoutIndex);

    expect(response && indexOf(response)?.IndexStatus).toBe('DELETING');
    expect(table.GlobalSecondaryIndexes).toBeUndefined();
  });

  test('drops the index data, so an index re-created under the same name holds only current items', async () => {
    const { client } = engines.quick();
    const tableName = await createTable(client, LEGACY_ITEMS.slice(0, 3), true);
    await deleteIndex(client, tableName);
    await waitForTable(client, tableName, isActiveWithoutIndex);
    await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'indexed-1' } } }));

    await addIndex(client, tableName);
    await waitForTable(client, tableName, isActiveWithIndex);

    expect(await indexedKeys(client, tableName)).toEqual(['indexed-2', 'indexed-3']);
  });
});
