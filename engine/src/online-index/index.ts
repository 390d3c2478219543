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
 * Offered upstream, each part becomes a few lines in the matching dynalite file; here each part has the
 * file named after dynalite's: `actions/update-table.ts`, `validations/update-table.ts`, `db.ts`, with the
 * background index work in `index-work.ts` and the store helpers in `store.ts`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type createDynalite from 'dynalite';
import type { ActionValidation } from 'dynalite/validations';
import { withOnlineIndexUpdates } from './actions/update-table';
import { patchDb, storeOf } from './db';
import { load, promisify } from './store';
import type {
  CreateTableData,
  DynaliteServerOptions,
  RunningDynalite,
  UpdateTableAction,
  UpdateTableData,
} from './types';
import { extendUpdateTableValidation } from './validations/update-table';

export type { DynaliteServerOptions, OnlineIndexOptions, RunningDynalite } from './types';

const APPLIED = Symbol.for('dynalite-online-index.applied');

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

  patchDb();
}

export async function startDynaliteServer(options: DynaliteServerOptions = {}): Promise<RunningDynalite> {
  applyOnlineIndexExtension();
  const { port = 0, host = '127.0.0.1', ...dynaliteOptions } = options;
  const server = (load('dynalite') as typeof createDynalite)(dynaliteOptions);
  const store = storeOf(dynaliteOptions);
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

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
