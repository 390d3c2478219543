/**
 * Online global secondary index creation and deletion for dynalite, whose UpdateTable accepts
 * `GlobalSecondaryIndexUpdates` Create/Delete but ignores them (architect/dynalite#26).
 *
 * The hook leaves dynalite's files untouched and swaps functions where dynalite looks them up:
 * - dynalite's index.js keeps the action it gets from its first `require('./actions/updateTable')`, so
 *   that module's export is replaced in Node's module cache beforehand: apply before loading dynalite;
 * - the UpdateTable validation module's `types` and `custom` are extended in place;
 * - actions call the db module through its shared exports object, so replacing `db.queryTable` (no reads
 *   from an index that is not ACTIVE), `db.updateIndexes` (no entries for invalid index keys) and
 *   `db.create` (resume index work an on-disk store was left with) takes effect at once.
 * Offered upstream, each part becomes a few lines in the matching dynalite file.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type createDynalite from 'dynalite';
import type dynaliteDb from 'dynalite/db';
import type {
  AttributeDefinition,
  Callback,
  DynaliteError,
  GlobalSecondaryIndex,
  Item,
  KeySchemaElement,
  Lock,
  Projection,
  ProvisionedThroughput,
  Store,
  Table,
  UpdateIndexes,
} from 'dynalite/db';
import type { ActionValidation } from 'dynalite/validations';

/** Options the extension adds to dynalite's own. */
export interface OnlineIndexOptions {
  /** Milliseconds a new index stays CREATING before its backfill starts (default 100). */
  indexCreateMs?: number;
  /** Milliseconds a deleted index stays DELETING before it is removed (default 100). */
  indexDeleteMs?: number;
}

export interface DynaliteServerOptions extends createDynalite.Options, OnlineIndexOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
}

export interface RunningDynalite {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

interface CreateIndexAction {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: Projection;
  ProvisionedThroughput?: ProvisionedThroughput;
  OnDemandThroughput?: Record<string, number>;
}

interface IndexUpdate {
  Create?: CreateIndexAction;
  Delete?: { IndexName: string };
  Update?: unknown;
}

interface UpdateTableData {
  TableName: string;
  AttributeDefinitions?: AttributeDefinition[];
  GlobalSecondaryIndexUpdates?: IndexUpdate[];
  ProvisionedThroughput?: ProvisionedThroughput;
  BillingMode?: string;
}

interface CreateTableData {
  BillingMode: string;
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
  GlobalSecondaryIndexes: CreateIndexAction[];
}

type UpdateTableAction = (store: Store, data: UpdateTableData, cb: Callback<{ TableDescription: Table }>) => void;

interface IndexBuild {
  cancelled: boolean;
}

const load = createRequire(__filename);
const db = load('dynalite/db') as typeof dynaliteDb;
const APPLIED = Symbol.for('dynalite-online-index.applied');
const DEFAULT_INDEX_CREATE_MS = 100;
const DEFAULT_INDEX_DELETE_MS = 100;
const ONE_INDEX_AT_A_TIME =
  'Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table';
const ONE_CHANGE_PER_REQUEST =
  'One or more parameter values were invalid: A global secondary index Create or Delete cannot be combined with ' +
  'other changes in the same UpdateTable request';

/** Running backfills per store, so that deleting an index stops its build. */
const builds = new WeakMap<Store, Map<string, IndexBuild>>();
/** dynalite hands its options object to db.create: this finds the store behind a server. */
const storesByOptions = new WeakMap<object, Store>();

/** Adds online index creation and deletion to dynalite; call it before dynalite is first loaded (idempotent). */
export function applyOnlineIndexExtension(): void {
  const actionPath = load.resolve('dynalite/actions/updateTable');
  const updateTable = load(actionPath) as UpdateTableAction & { [APPLIED]?: true };
  if (updateTable[APPLIED]) return;
  const actionModule = load.cache[actionPath];
  if (!actionModule || load.cache[load.resolve('dynalite')]) {
    throw new Error(
      'dynalite was loaded before the online index extension was applied: call applyOnlineIndexExtension() first',
    );
  }
  actionModule.exports = Object.assign(withOnlineIndexUpdates(updateTable), { [APPLIED]: true });
  extendUpdateTableValidation(
    load('dynalite/validations/updateTable') as ActionValidation<UpdateTableData>,
    load('dynalite/validations/createTable') as ActionValidation<CreateTableData>,
  );

  const { create, queryTable, updateIndexes } = db;
  db.create = (options) => {
    const store = create(options);
    storesByOptions.set(options, store);
    resumeIndexWork(store);
    return store;
  };
  db.queryTable = (store, table, data, ...rest) => {
    const index = findIndex(table, data.IndexName);
    const cb = rest[4];
    if (index?.IndexStatus === 'CREATING') {
      return cb(db.validationError(`Cannot read from backfilling global secondary index: ${index.IndexName}`));
    }
    if (index?.IndexStatus === 'DELETING') {
      return cb(db.validationError(`The table does not have the specified index: ${index.IndexName}`));
    }
    queryTable(store, table, data, ...rest);
  };
  db.updateIndexes = skippingInvalidIndexKeys(updateIndexes);
}

/** Starts a dynalite server with online index support; resolves once it listens. */
export async function startDynaliteServer(options: DynaliteServerOptions = {}): Promise<RunningDynalite> {
  applyOnlineIndexExtension();
  const { port = 0, host = '127.0.0.1', ...dynaliteOptions } = options;
  const server = (load('dynalite') as typeof createDynalite)(dynaliteOptions);
  const store = storesByOptions.get(dynaliteOptions);
  if (!store) throw new Error('dynalite did not create its store through db.create: unsupported dynalite version');
  try {
    // Opening now reports a locked or unreadable data directory here instead of on the first request.
    await store.db.open();
    await listen(server, port, host);
  } catch (error) {
    await promisify<void>((cb) => store.db.close(cb));
    throw error;
  }
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

function withOnlineIndexUpdates(updateTable: UpdateTableAction): UpdateTableAction {
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
  const build = builds.get(store)?.get(buildKey(table.TableName, name));
  if (build) build.cancelled = true;
  index.IndexStatus = 'DELETING';
  delete index.Backfilling;
  table.TableStatus = 'UPDATING';
  return () => startDrop(store, table.TableName, name);
}

function startBuild(store: Store, tableName: string, indexName: string): void {
  const running = builds.get(store) ?? new Map<string, IndexBuild>();
  builds.set(store, running);
  const key = buildKey(tableName, indexName);
  const build: IndexBuild = { cancelled: false };
  running.set(key, build);
  runInBackground(
    buildIndex(store, tableName, indexName, build).finally(() => {
      if (running.get(key) === build) running.delete(key);
    }),
  );
}

function startDrop(store: Store, tableName: string, indexName: string): void {
  runInBackground(dropIndex(store, tableName, indexName));
}

async function buildIndex(store: Store, tableName: string, indexName: string, build: IndexBuild): Promise<void> {
  // Writes that read the table before the index was added finish during this delay.
  await delay(optionMs(store, 'indexCreateMs', DEFAULT_INDEX_CREATE_MS));
  const table = await readTable(store, tableName);
  const index = findIndex(table, indexName);
  if (!index || build.cancelled) return;

  const itemDb = store.getItemDb(tableName);
  for await (const snapshot of itemDb.createValueStream()) {
    if (build.cancelled) return;
    const key = db.createKey(snapshot, table);
    // Re-read under the item's lock: a write since the snapshot has indexed a newer version, or removed it.
    await withLock(itemDb.lock, key, async () => {
      const item = await readItem(store, tableName, key);
      if (!item || build.cancelled) return;
      await promisify<void>((cb) => db.updateIndexes(store, withOnly(table, index), null, item, cb));
    });
  }

  await withLock(store.tableDb.lock, tableName, async () => {
    const current = await readTable(store, tableName);
    const built = findIndex(current, indexName);
    if (build.cancelled || built?.IndexStatus !== 'CREATING') return;
    built.IndexStatus = 'ACTIVE';
    delete built.Backfilling;
    current.TableStatus = settledStatus(current);
    await writeTable(store, current);
  });
}

async function dropIndex(store: Store, tableName: string, indexName: string): Promise<void> {
  await delay(optionMs(store, 'indexDeleteMs', DEFAULT_INDEX_DELETE_MS));
  await withLock(store.tableDb.lock, tableName, async () => {
    const table = await readTable(store, tableName);
    const remaining = (table.GlobalSecondaryIndexes ?? []).filter(
      (index) => index.IndexName !== indexName || index.IndexStatus !== 'DELETING',
    );
    if (remaining.length > 0) table.GlobalSecondaryIndexes = remaining;
    else delete table.GlobalSecondaryIndexes;
    const keys = keyAttributes(table);
    table.AttributeDefinitions = table.AttributeDefinitions.filter((d) => keys.has(d.AttributeName));
    table.TableStatus = settledStatus(table);
    await writeTable(store, table);
  });
  await promisify<void>((cb) => store.deleteIndexDb('global', tableName, indexName, cb));
}

/** A store reopened from disk carries on with the index builds and deletions it was left with. */
function resumeIndexWork(store: Store): void {
  runInBackground(
    (async () => {
      // A store that fails to open has nothing to resume; startDynaliteServer reports the failure.
      await store.db.open();
      for await (const table of store.tableDb.createValueStream()) {
        for (const index of table.GlobalSecondaryIndexes ?? []) {
          if (index.IndexStatus === 'CREATING' && index.Backfilling)
            startBuild(store, table.TableName, index.IndexName);
          if (index.IndexStatus === 'DELETING') startDrop(store, table.TableName, index.IndexName);
        }
      }
    })(),
  );
}

/**
 * An item is only in an index when its key for that index is present and valid. dynalite assumes a
 * present key has the declared type, which items written before the index existed may break.
 */
function skippingInvalidIndexKeys(updateIndexes: UpdateIndexes): UpdateIndexes {
  return (store, table, existingItem, item, cb) => {
    const fits = (index: GlobalSecondaryIndex, candidate: Item | null | undefined): boolean =>
      candidate == null || isIndexable(table, index, candidate);
    const special = (table.GlobalSecondaryIndexes ?? []).filter((i) => !fits(i, existingItem) || !fits(i, item));
    if (special.length === 0) return updateIndexes(store, table, existingItem, item, cb);

    const others = {
      ...table,
      GlobalSecondaryIndexes: table.GlobalSecondaryIndexes?.filter((i) => !special.includes(i)),
    };
    const updates = [
      promisify<void>((done) => updateIndexes(store, others, existingItem, item, done)),
      ...special.map((index) =>
        promisify<void>((done) =>
          updateIndexes(
            store,
            withOnly(table, index),
            existingItem && isIndexable(table, index, existingItem) ? existingItem : null,
            item && isIndexable(table, index, item) ? item : null,
            done,
          ),
        ),
      ),
    ];
    void Promise.all(updates).then(() => cb(null), cb);
  };
}

function extendUpdateTableValidation(
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

function isIndexable(table: Table, index: GlobalSecondaryIndex, item: Item): boolean {
  return index.KeySchema.every(({ AttributeName }, position) => {
    const type = table.AttributeDefinitions.find((d) => d.AttributeName === AttributeName)?.AttributeType;
    return (
      item[AttributeName] != null && type != null && !db.validateKeyPiece(item, AttributeName, type, position === 0)
    );
  });
}

function assertIdle(table: Table): void {
  if (table.TableStatus === 'ACTIVE') return;
  const progress = { CREATING: 'created', DELETING: 'deleted' }[table.TableStatus] ?? 'updated';
  throw awsError(
    'ResourceInUseException',
    `Attempt to change a resource which is still in use: Table is being ${progress}: ${table.TableName}`,
  );
}

async function clearIndexData(store: Store, tableName: string, indexName: string): Promise<void> {
  const entries = store.getIndexDb('global', tableName, indexName).createValueStream({ limit: 1 });
  const iterator = entries[Symbol.asyncIterator]();
  const first = await iterator.next();
  await iterator.return?.();
  if (!first.done) await promisify<void>((cb) => store.deleteIndexDb('global', tableName, indexName, cb));
}

function settledStatus(table: Table): string {
  return table.GlobalSecondaryIndexes?.some((index) => index.IndexStatus !== 'ACTIVE') ? 'UPDATING' : 'ACTIVE';
}

function keyAttributes(table: Table): Set<string> {
  const schemas = [
    table.KeySchema,
    ...[...(table.LocalSecondaryIndexes ?? []), ...(table.GlobalSecondaryIndexes ?? [])].map((i) => i.KeySchema),
  ];
  return new Set(schemas.flat().map((key) => key.AttributeName));
}

function findIndex(table: Table, name: string | undefined): GlobalSecondaryIndex | undefined {
  return name === undefined ? undefined : table.GlobalSecondaryIndexes?.find((index) => index.IndexName === name);
}

/** The table as seen by dynalite's index maintenance when only `index` should be touched. */
function withOnly(table: Table, index: GlobalSecondaryIndex): Table {
  return { ...table, GlobalSecondaryIndexes: [index], LocalSecondaryIndexes: undefined };
}

function billingMode(table: Table): string {
  return table.BillingModeSummary?.BillingMode ?? 'PROVISIONED';
}

function buildKey(tableName: string, indexName: string): string {
  return `${tableName}/${indexName}`;
}

function optionMs(store: Store, name: keyof OnlineIndexOptions, fallback: number): number {
  const value = store.options[name];
  return typeof value === 'number' ? value : fallback;
}

function awsError(type: string, message: string): DynaliteError {
  return Object.assign(new Error(message), {
    statusCode: 400,
    body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message },
  });
}

async function readTable(store: Store, tableName: string): Promise<Table> {
  const table = await promisify<Table | undefined>((cb) => store.getTable(tableName, false, cb));
  if (!table)
    throw awsError('ResourceNotFoundException', `Requested resource not found: Table: ${tableName} not found`);
  return table;
}

function writeTable(store: Store, table: Table): Promise<void> {
  return promisify<void>((cb) => store.tableDb.put(table.TableName, table, cb));
}

async function readItem(store: Store, tableName: string, key: string): Promise<Item | undefined> {
  try {
    return await promisify<Item | undefined>((cb) => store.getItemDb(tableName).get(key, cb));
  } catch (error) {
    // Older level versions report a missing key as an error rather than undefined.
    if (error instanceof Error && error.name === 'NotFoundError') return undefined;
    throw error;
  }
}

function withLock<T>(lock: Lock, key: string, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    lock(key, (release) => void work().then(release(resolve), release(reject))),
  );
}

function promisify<T>(run: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}

function delay(ms: number): Promise<void> {
  // Unreferenced: pending index work must not keep a process alive once its server has closed.
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Background index work outlives its request: a closed store or a deleted table simply ends it. */
function runInBackground(work: Promise<void>): void {
  work.catch((error: unknown) => {
    const expected =
      (error as DynaliteError).statusCode !== undefined ||
      /Database is (not open|closed)/.test(String(error)) ||
      (error as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN';
    if (!expected) console.error('dynalite online index work failed:', error);
  });
}
