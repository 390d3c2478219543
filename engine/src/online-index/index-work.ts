/** Index builds and deletions that run after the UpdateTable request that started them has been answered. */
import type { Store } from 'dynalite/db';
import {
  db,
  delay,
  findIndex,
  keyAttributes,
  optionMs,
  promisify,
  readItem,
  readTable,
  runInBackground,
  settledStatus,
  withLock,
  withOnly,
  writeTable,
} from './store';

interface IndexBuild {
  cancelled: boolean;
}

const DEFAULT_INDEX_CREATE_MS = 100;
const DEFAULT_INDEX_DELETE_MS = 100;

/** Running backfills per store, so that deleting an index stops its build. */
const builds = new WeakMap<Store, Map<string, IndexBuild>>();

function buildKey(tableName: string, indexName: string): string {
  return `${tableName}/${indexName}`;
}

/** Stops the build of an index being deleted. */
export function cancelBuild(store: Store, tableName: string, indexName: string): void {
  const build = builds.get(store)?.get(buildKey(tableName, indexName));
  if (build) build.cancelled = true;
}

export function startBuild(store: Store, tableName: string, indexName: string): void {
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

export function startDrop(store: Store, tableName: string, indexName: string): void {
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
export function resumeIndexWork(store: Store): void {
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
