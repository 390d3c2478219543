/** dynalite's UpdateTable action with GlobalSecondaryIndexUpdates Create and Delete carried out online. */
import type { AttributeDefinition, KeySchemaElement, Store, Table } from 'dynalite/db';
import { cancelBuild, startBuild, startDrop } from '../index-work';
import {
  assertIdle,
  awsError,
  billingMode,
  clearIndexData,
  db,
  findIndex,
  readTable,
  withLock,
  writeTable,
} from '../store';
import type { CreateIndexAction, IndexUpdate, UpdateTableAction, UpdateTableData } from '../types';

const ONE_INDEX_AT_A_TIME =
  'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table';
const ONE_CHANGE_PER_REQUEST =
  'One or more parameter values were invalid: A global secondary index Create or Delete cannot be combined with ' +
  'other changes in the same UpdateTable request';

export function withOnlineIndexUpdates(updateTable: UpdateTableAction): UpdateTableAction {
  return (store, data, cb) => {
    const updates = data.GlobalSecondaryIndexUpdates ?? [];
    const [change, ...more] = updates.filter((update) => update.Create ?? update.Delete);
    if (more.length > 0) return cb(db.limitError(ONE_INDEX_AT_A_TIME));
    if (!change) {
      // dynalite would start a capacity change while the table is still UPDATING; DynamoDB refuses it.
      void readTable(store, data.TableName)
        .then(assertIdle)
        .then(() => updateTable(store, data, cb), cb);
      return;
    }
    if (updates.length > 1 || data.ProvisionedThroughput) return cb(db.validationError(ONE_CHANGE_PER_REQUEST));
    void changeIndex(store, data, change).then((table) => cb(null, { TableDescription: table }), cb);
  };
}

async function changeIndex(store: Store, data: UpdateTableData, change: IndexUpdate): Promise<Table> {
  return withLock(store.tableDb.lock, data.TableName, async () => {
    const table = await readTable(store, data.TableName);
    if (data.BillingMode && data.BillingMode !== billingMode(table)) {
      throw db.validationError(ONE_CHANGE_PER_REQUEST);
    }
    let startWork = (): void => undefined;
    if (change.Create) startWork = await addIndex(store, table, data.AttributeDefinitions ?? [], change.Create);
    if (change.Delete) startWork = markIndexDeleting(store, table, change.Delete.IndexName);
    await writeTable(store, table);
    startWork();
    return table;
  });
}

async function addIndex(
  store: Store,
  table: Table,
  definitions: AttributeDefinition[],
  create: CreateIndexAction,
): Promise<() => void> {
  assertIdle(table);
  const name = create.IndexName;
  if (
    [...(table.GlobalSecondaryIndexes ?? []), ...(table.LocalSecondaryIndexes ?? [])].some((i) => i.IndexName === name)
  ) {
    throw db.validationError(
      'One or more parameter values were invalid: Attempting to create an index which already exists',
    );
  }
  const onDemand = billingMode(table) === 'PAY_PER_REQUEST';
  if (onDemand && create.ProvisionedThroughput) {
    throw db.validationError(
      `One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: ${name} when BillingMode is PAY_PER_REQUEST`,
    );
  }
  if (!onDemand && !create.ProvisionedThroughput) {
    throw db.validationError(
      `One or more parameter values were invalid: ProvisionedThroughput must be specified for index: ${name}`,
    );
  }
  table.AttributeDefinitions = mergeKeyDefinitions(table.AttributeDefinitions, definitions, create.KeySchema);
  // Entries left by an earlier index of this name (a write racing its deletion) must not reappear.
  await clearIndexData(store, table.TableName, name);

  table.GlobalSecondaryIndexes = [
    ...(table.GlobalSecondaryIndexes ?? []),
    {
      IndexName: name,
      KeySchema: create.KeySchema,
      Projection: create.Projection,
      IndexStatus: 'CREATING',
      Backfilling: true,
      IndexArn: `${table.TableArn}/index/${name}`,
      IndexSizeBytes: 0,
      ItemCount: 0,
      ProvisionedThroughput: {
        ...(create.ProvisionedThroughput ?? { ReadCapacityUnits: 0, WriteCapacityUnits: 0 }),
        NumberOfDecreasesToday: 0,
      },
      ...(create.OnDemandThroughput && { OnDemandThroughput: create.OnDemandThroughput }),
    },
  ];
  table.TableStatus = 'UPDATING';
  return () => startBuild(store, table.TableName, name);
}

function markIndexDeleting(store: Store, table: Table, name: string): () => void {
  const index = findIndex(table, name);
  // DynamoDB lets an index be deleted while it backfills: that is how a failed creation is rolled back.
  if (!index?.Backfilling) assertIdle(table);
  if (!index) {
    throw awsError('ResourceNotFoundException', `Requested resource not found: Index: ${name} not found`);
  }
  cancelBuild(store, table.TableName, name);
  index.IndexStatus = 'DELETING';
  delete index.Backfilling;
  table.TableStatus = 'UPDATING';
  return () => startDrop(store, table.TableName, name);
}

/** Adds the definitions of the new index's key attributes; DynamoDB ignores any others. */
function mergeKeyDefinitions(
  current: AttributeDefinition[],
  requested: AttributeDefinition[],
  keySchema: KeySchemaElement[],
): AttributeDefinition[] {
  const merged = [...current];
  for (const { AttributeName } of keySchema) {
    const wanted = requested.find((d) => d.AttributeName === AttributeName);
    const existing = merged.find((d) => d.AttributeName === AttributeName);
    if (!wanted) continue;
    if (!existing) merged.push(wanted);
    else if (existing.AttributeType !== wanted.AttributeType) {
      throw db.validationError(
        'One or more parameter values were invalid: Attributes cannot be redefined. Please check that your ' +
          `attribute has the same type as previously defined. Attribute: ${AttributeName}, ` +
          `existing type: ${existing.AttributeType}, new type: ${wanted.AttributeType}`,
      );
    }
  }
  return merged;
}
