/** The request and option shapes the online index extension works with. */
import type { Server } from 'node:http';
import type {
  AttributeDefinition,
  Callback,
  KeySchemaElement,
  Projection,
  ProvisionedThroughput,
  Store,
  Table,
} from 'dynalite/db';
import type createDynalite from 'dynalite';

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

export interface CreateIndexAction {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: Projection;
  ProvisionedThroughput?: ProvisionedThroughput;
  OnDemandThroughput?: Record<string, number>;
}

export interface IndexUpdate {
  Create?: CreateIndexAction;
  Delete?: { IndexName: string };
  Update?: unknown;
}

export interface UpdateTableData {
  TableName: string;
  AttributeDefinitions?: AttributeDefinition[];
  GlobalSecondaryIndexUpdates?: IndexUpdate[];
  ProvisionedThroughput?: ProvisionedThroughput;
  BillingMode?: string;
}

export interface CreateTableData {
  BillingMode: string;
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
  GlobalSecondaryIndexes: CreateIndexAction[];
}

export type UpdateTableAction = (
  store: Store,
  data: UpdateTableData,
  cb: Callback<{ TableDescription: Table }>,
) => void;
