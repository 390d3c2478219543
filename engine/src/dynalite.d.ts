// Minimal types for dynalite (it ships none): its server factory, plus the internal modules that
// the online index extension (online-index/) hooks into. Only what this project touches is declared.

declare module 'dynalite' {
  import type { Server } from 'node:http';

  namespace dynalite {
    interface Options {
      /** LevelDB directory; in memory when absent. */
      path?: string;
      createTableMs?: number;
      deleteTableMs?: number;
      updateTableMs?: number;
      maxItemSizeKb?: number;
    }
  }

  function dynalite(options?: dynalite.Options): Server;
  export = dynalite;
}

declare module 'dynalite/db' {
  namespace db {
    type AttributeValue = Record<string, unknown>;
    type Item = Record<string, AttributeValue>;

    interface KeySchemaElement {
      AttributeName: string;
      KeyType: string;
    }

    interface AttributeDefinition {
      AttributeName: string;
      AttributeType: string;
    }

    interface Projection {
      ProjectionType?: string;
      NonKeyAttributes?: string[];
    }

    interface ProvisionedThroughput {
      ReadCapacityUnits: number;
      WriteCapacityUnits: number;
      NumberOfDecreasesToday?: number;
    }

    interface GlobalSecondaryIndex {
      IndexName: string;
      KeySchema: KeySchemaElement[];
      Projection: Projection;
      IndexStatus?: string;
      Backfilling?: boolean;
      IndexArn?: string;
      IndexSizeBytes?: number;
      ItemCount?: number;
      ProvisionedThroughput?: ProvisionedThroughput;
      OnDemandThroughput?: Record<string, number>;
    }

    interface Table {
      TableName: string;
      TableArn: string;
      TableStatus: string;
      KeySchema: KeySchemaElement[];
      AttributeDefinitions: AttributeDefinition[];
      GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
      LocalSecondaryIndexes?: { IndexName: string; KeySchema: KeySchemaElement[] }[];
      BillingModeSummary?: { BillingMode?: string };
    }

    /** dynalite's errors carry the HTTP status and the DynamoDB error body to send. */
    interface DynaliteError extends Error {
      statusCode?: number;
      body?: { __type: string; message: string };
    }

    type Callback<T> = (err: DynaliteError | null, value?: T) => void;

    /** The `lock` package: runs `work` once `key` is free; `release(done)` wraps `done` to free it first. */
    type Lock = (key: string, work: (release: <F extends (...args: never[]) => void>(done: F) => F) => void) => void;

    interface SubDb<T> {
      get(key: string, cb: Callback<T>): void;
      put(key: string, value: T, cb: Callback<void>): void;
      createValueStream(options?: { limit?: number }): AsyncIterable<T>;
      lock: Lock;
    }

    interface Store {
      options: Record<string, unknown>;
      db: { open(): Promise<void>; close(cb: Callback<void>): void };
      tableDb: SubDb<Table>;
      getItemDb(tableName: string): SubDb<Item>;
      getIndexDb(indexType: string, tableName: string, indexName: string): SubDb<Item>;
      deleteIndexDb(indexType: string, tableName: string, indexName: string, cb: Callback<void>): void;
      getTable(tableName: string, checkStatus: boolean, cb: Callback<Table>): void;
    }

    type UpdateIndexes = (
      store: Store,
      table: Table,
      existingItem: Item | null | undefined,
      item: Item | null | undefined,
      cb: Callback<void>,
    ) => void;

    type QueryTable = (
      store: Store,
      table: Table,
      data: { IndexName?: string },
      ...rest: [
        opts: unknown,
        isLocal: boolean,
        fetchFromItemDb: boolean,
        startKeyNames: string[],
        cb: Callback<unknown>,
      ]
    ) => void;

    /** The exports object of dynalite's db module: actions call these through it at request time. */
    interface Module {
      create: (options: object) => Store;
      createKey(item: Item, table: Table): string;
      validateKeyPiece(item: Item, attr: string, type: string, isHash: boolean): DynaliteError | undefined;
      validationError(message: string): DynaliteError;
      limitError(message: string): DynaliteError;
      queryTable: QueryTable;
      updateIndexes: UpdateIndexes;
    }
  }

  const db: db.Module;
  export = db;
}

declare module 'dynalite/validations' {
  /** One node of dynalite's request type tree (the `types` of a validations/<action> module). */
  export interface TypeSpec {
    type?: string;
    notNull?: boolean;
    children?: TypeSpec & Record<string, TypeSpec>;
  }

  /** A validations/<action> module: request types plus a custom check that returns an error message. */
  export interface ActionValidation<T> {
    types: Record<string, TypeSpec>;
    custom: (data: T, store?: unknown) => string | undefined;
  }
}
