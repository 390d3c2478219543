/** dynalite's UpdateTable request validation, extended to the index updates DynamoDB accepts. */
import type { ActionValidation } from 'dynalite/validations';
import type { CreateTableData, UpdateTableData } from '../types';

export function extendUpdateTableValidation(
  updateTable: ActionValidation<UpdateTableData>,
  createTable: ActionValidation<CreateTableData>,
): void {
  const createSpec = updateTable.types.GlobalSecondaryIndexUpdates?.children?.children?.Create?.children;
  const definitionsSpec = createTable.types.AttributeDefinitions;
  if (!createSpec?.ProvisionedThroughput || !definitionsSpec) {
    throw new Error('Unsupported dynalite version: the UpdateTable request types have changed');
  }
  // On-demand tables create indexes without ProvisionedThroughput, and UpdateTable may omit AttributeDefinitions.
  delete createSpec.ProvisionedThroughput.notNull;
  createSpec.OnDemandThroughput = {
    type: 'FieldStruct<OnDemandThroughput>',
    children: { MaxReadRequestUnits: { type: 'Long' }, MaxWriteRequestUnits: { type: 'Long' } },
  };
  const optionalDefinitions = { ...definitionsSpec };
  delete optionalDefinitions.notNull;
  updateTable.types.AttributeDefinitions = optionalDefinitions;

  const custom = updateTable.custom;
  updateTable.custom = (data, store) => custom(data, store) ?? checkIndexUpdates(data, createTable);
}

function checkIndexUpdates(data: UpdateTableData, createTable: ActionValidation<CreateTableData>): string | undefined {
  for (const update of data.GlobalSecondaryIndexUpdates ?? []) {
    if ([update.Create, update.Update, update.Delete].filter(Boolean).length > 1) {
      return (
        'One or more parameter values were invalid: Only one of GlobalSecondaryIndexUpdate.Update, ' +
        'GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete can be specified'
      );
    }
    if (!update.Create) continue;
    // DynamoDB wants the new key's types restated even when the table already defines them.
    const keys = update.Create.KeySchema.map((key) => key.AttributeName);
    const defined = (data.AttributeDefinitions ?? []).map((definition) => definition.AttributeName);
    if (!keys.every((key) => defined.includes(key))) {
      return (
        'One or more parameter values were invalid: Some index key attributes are not defined in ' +
        `AttributeDefinitions. Keys: [${keys.join(', ')}], AttributeDefinitions: [${defined.join(', ')}]`
      );
    }
    // An index added later obeys the rules of one declared in CreateTable, so reuse that check.
    const message = createTable.custom({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: data.AttributeDefinitions ?? [],
      KeySchema: update.Create.KeySchema,
      GlobalSecondaryIndexes: [{ ...update.Create, ProvisionedThroughput: undefined }],
    });
    if (message) return message;
  }
  return undefined;
}
