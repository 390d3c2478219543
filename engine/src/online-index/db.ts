/** dynalite's db module, patched through its shared exports object so that every action sees the change at once. */
import type { GlobalSecondaryIndex, Item, Store, UpdateIndexes } from 'dynalite/db';
import { resumeIndexWork } from './index-work';
import { db, findIndex, isIndexable, promisify, withOnly } from './store';

/** dynalite hands its options object to db.create: this finds the store behind a server. */
const storesByOptions = new WeakMap<object, Store>();

/** The store dynalite created for a server started with `options`. */
export function storeOf(options: object): Store | undefined {
  return storesByOptions.get(options);
}

/**
 * Replaces `db.create` (resume the index work an on-disk store was left with), `db.queryTable` (no reads
 * from an index that is not ACTIVE) and `db.updateIndexes` (no entries for invalid index keys).
 */
export function patchDb(): void {
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
