/** dynalite's db module and the helpers every part of the extension reads and writes the store with. */
import { createRequire } from 'node:module';
import type dynaliteDb from 'dynalite/db';
import type { Callback, DynaliteError, GlobalSecondaryIndex, Item, Lock, Store, Table } from 'dynalite/db';
import type { OnlineIndexOptions } from './types';

/** Resolves dynalite's modules the way dynalite itself does. */
export const load = createRequire(__filename);
/** dynalite's db module: its actions call it through this shared exports object. */
export const db = load('dynalite/db') as typeof dynaliteDb;

export function isIndexable(table: Table, index: GlobalSecondaryIndex, item: Item): boolean {
  return index.KeySchema.every(({ AttributeName }, position) => {
    const type = table.AttributeDefinitions.find((d) => d.AttributeName === AttributeName)?.AttributeType;
    return (
      item[AttributeName] != null && type != null && !db.validateKeyPiece(item, AttributeName, type, position === 0)
    );
  });
}

export function assertIdle(table: Table): void {
  if (table.TableStatus === 'ACTIVE') return;
  const progress = { CREATING: 'created', DELETING: 'deleted' }[table.TableStatus] ?? 'updated';
  throw awsError(
    'ResourceInUseException',
    `Attempt to change a resource which is still in use: Table is being ${progress}: ${table.TableName}`,
  );
}

export async function clearIndexData(store: Store, tableName: string, indexName: string): Promise<void> {
  const entries = store.getIndexDb('global', tableName, indexName).createValueStream({ limit: 1 });
  const iterator = entries[Symbol.asyncIterator]();
  const first = await iterator.next();
  await iterator.return?.();
  if (!first.done) await promisify<void>((cb) => store.deleteIndexDb('global', tableName, indexName, cb));
}

export function settledStatus(table: Table): string {
  return table.GlobalSecondaryIndexes?.some((index) => index.IndexStatus !== 'ACTIVE') ? 'UPDATING' : 'ACTIVE';
}

export function keyAttributes(table: Table): Set<string> {
  const schemas = [
    table.KeySchema,
    ...[...(table.LocalSecondaryIndexes ?? []), ...(table.GlobalSecondaryIndexes ?? [])].map((i) => i.KeySchema),
  ];
  return new Set(schemas.flat().map((key) => key.AttributeName));
}

export function findIndex(table: Table, name: string | undefined): GlobalSecondaryIndex | undefined {
  return name === undefined ? undefined : table.GlobalSecondaryIndexes?.find((index) => index.IndexName === name);
}

/** The table as seen by dynalite's index maintenance when only `index` should be touched. */
export function withOnly(table: Table, index: GlobalSecondaryIndex): Table {
  return { ...table, GlobalSecondaryIndexes: [index], LocalSecondaryIndexes: undefined };
}

export function billingMode(table: Table): string {
  return table.BillingModeSummary?.BillingMode ?? 'PROVISIONED';
}

export function optionMs(store: Store, name: keyof OnlineIndexOptions, fallback: number): number {
  const value = store.options[name];
  return typeof value === 'number' ? value : fallback;
}

export function awsError(type: string, message: string): DynaliteError {
  return Object.assign(new Error(message), {
    statusCode: 400,
    body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message },
  });
}

export async function readTable(store: Store, tableName: string): Promise<Table> {
  const table = await promisify<Table | undefined>((cb) => store.getTable(tableName, false, cb));
  if (!table)
    throw awsError('ResourceNotFoundException', `Requested resource not found: Table: ${tableName} not found`);
  return table;
}

export function writeTable(store: Store, table: Table): Promise<void> {
  return promisify<void>((cb) => store.tableDb.put(table.TableName, table, cb));
}

export async function readItem(store: Store, tableName: string, key: string): Promise<Item | undefined> {
  try {
    return await promisify<Item | undefined>((cb) => store.getItemDb(tableName).get(key, cb));
  } catch (error) {
    // Older level versions report a missing key as an error rather than undefined.
    if (error instanceof Error && error.name === 'NotFoundError') return undefined;
    throw error;
  }
}

export function withLock<T>(lock: Lock, key: string, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    lock(key, (release) => void work().then(release(resolve), release(reject))),
  );
}

export function promisify<T>(run: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}

export function delay(ms: number): Promise<void> {
  // Unreferenced: pending index work must not keep a process alive once its server has closed.
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Background index work outlives its request: a closed store or a deleted table simply ends it. */
export function runInBackground(work: Promise<void>): void {
  work.catch((error: unknown) => {
    const expected =
      (error as DynaliteError).statusCode !== undefined ||
      /Database is (not open|closed)/.test(String(error)) ||
      (error as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN';
    if (!expected) console.error('dynalite online index work failed:', error);
  });
}
