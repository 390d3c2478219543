import type { App } from 'aws-cdk-lib';
import type { ApiLimits } from './api/infra/api-limits';
import { ApiStack } from './api/infra/api-stack';
import { MigrationStack } from './migration-workflow/infra/migration-stack';
import { MonitoringStack } from './monitoring/monitoring-stack';
import { SLO_SPEC, type SloSpec } from './contract/slo-spec';

export interface TriggersApiStacksOptions {
  stage: string;
  version: string;
  /** Subscribed to the page topic, and to the ticket topic unless `ticketEmail` is given. */
  alarmEmail?: string;
  /** Subscribed to the ticket topic instead of `alarmEmail`. */
  ticketEmail?: string;
  /** Events tables outside CloudFormation the stage's migration may add event-id-index to (context `migrationLegacyTables`). */
  migrationLegacyTables?: string[];
  /** Default: the project's SLO spec. */
  spec?: SloSpec;
  /**
   * Whether the stage always has traffic: an ingestion silence then pages instead of opening a ticket
   * (context `trafficExpected=true|false`; default: true for `Production` only).
   */
  trafficExpected?: boolean;
  /**
   * The derived indexes the events table declares (context `eventsTableIndexes`, a comma-separated list;
   * default all): an existing table takes them one deploy at a time (docs/DEPLOY.md).
   */
  eventsTableIndexes?: string[];
  /** Throttling and reserved concurrency of the stage (context `throttleRatePerSecond`, `throttleBurst`, `reservedConcurrency`). */
  apiLimits?: Partial<ApiLimits>;
}

/** Adds one stage's stacks to an app: the API, the index migration, and their monitoring. */
export function addTriggersApiStacks(
  app: App,
  options: TriggersApiStacksOptions,
): { api: ApiStack; migration: MigrationStack; monitoring: MonitoringStack } {
  const { stage } = options;
  const limits = options.apiLimits ?? contextLimits(app);
  const listed = options.eventsTableIndexes ?? contextList(app, 'eventsTableIndexes');
  const derivedIndexes = listed.length > 0 ? { derivedIndexes: listed } : {};
  const api = new ApiStack(app, `TriggersApi-${stage}`, { stage, version: options.version, limits, ...derivedIndexes });
  const migration = new MigrationStack(app, `TriggersApi-${stage}-Migration`, {
    eventsTable: api.eventsTable,
    legacyTableNames: options.migrationLegacyTables ?? contextList(app, 'migrationLegacyTables'),
  });
  const monitoring = new MonitoringStack(app, `TriggersApi-${stage}-Monitoring`, {
    stage,
    spec: options.spec ?? SLO_SPEC,
    handler: api.handler,
    httpApi: api.httpApi,
    eventsTable: api.eventsTable,
    ...derivedIndexes,
    apiKeysTable: api.apiKeysTable,
    logGroup: api.logGroup,
    migrationStateMachine: migration.migration.stateMachine,
    trafficExpected: options.trafficExpected ?? contextBoolean(app, 'trafficExpected') ?? stage === 'Production',
    ...(options.alarmEmail ? { alarmEmail: options.alarmEmail } : {}),
    ...(options.ticketEmail ? { ticketEmail: options.ticketEmail } : {}),
  });
  return { api, migration, monitoring };
}

/** A comma-separated context value (`cdk deploy -c name=a,b`) as a list; empty when unset. */
function contextList(app: App, name: string): string[] {
  const value: unknown = app.node.tryGetContext(name);
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value.trim() !== '' ? value.split(',').map((item) => item.trim()) : [];
}

/** The API limits given as context numbers; absent ones keep their defaults (checked by the ApiStack). */
function contextLimits(app: App): Partial<ApiLimits> {
  const limits: Partial<Record<keyof ApiLimits, number>> = {};
  for (const name of ['throttleRatePerSecond', 'throttleBurst', 'reservedConcurrency'] as const) {
    const value: unknown = app.node.tryGetContext(name);
    if (value !== undefined && value !== '') limits[name] = Number(value);
  }
  return limits;
}

/** A `true`/`false` context value; undefined when unset. */
function contextBoolean(app: App, name: string): boolean | undefined {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context ${name} must be true or false; got ${JSON.stringify(value)}`);
}
