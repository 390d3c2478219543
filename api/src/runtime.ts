import type Router from '@koa/router';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { createApp } from './app';
import type { ApiConfig } from './config';
import { ApiKeyAuthenticator } from './domain/authenticator';
import { EventService } from './domain/event-service';
import { WriteCoalescer } from './domain/write-coalescer';
import type { InboxCursors } from './domain/inbox-cursor';
import { createDynamoDbStoreProbe } from './health/dynamodb-store-probe';
import { createHealthCheck, type ComponentHealth } from './health/health-check';
import { storeGate } from './health/store-gate';
import { API_ENDPOINTS } from '../../contract/metrics';
import { addToLogContext, runWithoutLogContext } from './observability/log-context';
import { MetricsRecorder } from './observability/metrics/metrics-recorder';
import type { MetricsSink } from './observability/metrics/metrics-sink';
import { createDynamoDbClients, type DynamoDbClients } from '../../platform/dynamodb-client';
import { DynamoDbApiKeyStore } from './store/dynamodb-api-key-store';
import { DynamoDbEventStore } from './store/dynamodb-event-store';
import { IndexStates, readIndexStates } from './store/index-control';
import { DERIVED_INDEX_NAMES } from '../../contract/table-schemas';

export interface Runtime {
  app: Koa;
  metrics: MetricsRecorder;
  clients: DynamoDbClients;
  service: EventService;
  apiKeys: DynamoDbApiKeyStore;
  /** The states of the derived indexes (DERIVED_INDEXES), read together at most every INDEX_REFRESH_SECONDS. */
  indexes: IndexStates;
  /** Closes the SDK clients' sockets (the store's, and the health probe's once it exists). */
  destroyClients(): void;
}

/**
 * What differs between the entry points: the local server prints or serves metrics in any of four ways
 * and has local pages; the Lambda handler prints EMF and reads its cursor key from Secrets Manager. Each
 * entry point builds only its own parts, so the Lambda bundle carries none of the others' code.
 */
export interface RuntimeParts {
  /** Where each minute's metrics go (none: the local dashboard's snapshot only). */
  sink: MetricsSink | undefined;
  /** How often ended minutes are handed to the sink (absent: only when the entry point flushes, as Lambda does). */
  metricsFlushIntervalMs?: number;
  cursors: InboxCursors;
  /** Mounts local-only pages (dashboard, `/metrics`) given the recorder they read. */
  localRoutes?: (router: Router, metrics: MetricsRecorder) => void;
  /** DynamoDB clients to use instead of ones built from the configuration. */
  clients?: DynamoDbClients;
  /** The embedded engine's state, when this process supervises one (`npm start`). */
  engineHealth?: () => ComponentHealth;
  /** Write new events that arrive together in one batch (a long-running server with `WRITE_COALESCING=on`). */
  coalesceWrites?: boolean;
}

/** Wires the app from its configuration: the one composition root shared by the server, Lambda and tests. */
export function createRuntime(config: ApiConfig, logger: Logger, parts: RuntimeParts): Runtime {
  const db =
    parts.clients ??
    createDynamoDbClients({
      region: config.region,
      requestTimeoutMs: config.dynamodbTimeoutMs,
      ...(config.dynamodbEndpoint !== undefined ? { endpoint: config.dynamodbEndpoint } : {}),
    });
  const metrics = new MetricsRecorder({
    sink: parts.sink,
    ...(parts.metricsFlushIntervalMs !== undefined ? { flushIntervalMs: parts.metricsFlushIntervalMs } : {}),
    knownEndpoints: API_ENDPOINTS,
    onSinkError: (error) => runWithoutLogContext(() => logger.warn({ err: error }, 'A metrics sink failed')),
  });
  const indexes = new IndexStates(
    () => readIndexStates(db.client, db.doc, config.tables.events, DERIVED_INDEX_NAMES),
    config.indexRefreshMs,
  );
  const store = new DynamoDbEventStore({
    doc: db.doc,
    tableName: config.tables.events,
    indexes,
    onLookup: (method) => {
      addToLogContext({ lookup_method: method });
      metrics.recordLookup(method);
    },
    onInboxRead: ({ index, itemsRead, filter }) =>
      addToLogContext({
        inbox_index: index,
        inbox_items_read: itemsRead,
        ...(filter !== undefined ? { inbox_filter: filter } : {}),
      }),
    logger,
  });
  const service = new EventService({
    store,
    ...(parts.coalesceWrites ? { coalescer: new WriteCoalescer(store) } : {}),
    retentionSeconds: config.retentionSeconds,
    idempotencySeconds: config.idempotencySeconds,
  });
  const apiKeys = new DynamoDbApiKeyStore(db.doc, config.tables.apiKeys);
  const probe = probeClient(config, parts);
  const health = createHealthCheck({
    store: createDynamoDbStoreProbe({ client: probe.get, tableName: config.tables.events, logger }),
    ...(parts.engineHealth ? { engine: parts.engineHealth } : {}),
  });
  const { localRoutes } = parts;
  const app = createApp({
    service,
    metrics,
    ...(localRoutes ? { localRoutes: (router: Router) => localRoutes(router, metrics) } : {}),
    authenticator: new ApiKeyAuthenticator(apiKeys, config.authCacheTtlMs),
    cursors: parts.cursors,
    health,
    ...(parts.engineHealth ? { storeGate: storeGate(parts.engineHealth) } : {}),
    logger,
    version: config.version,
  });
  const destroyClients = (): void => {
    db.client.destroy();
    probe.destroy();
  };
  return { app, metrics, clients: db, service, apiKeys, indexes, destroyClients };
}

/**
 * The store probe's client, built on the first health request: one attempt and a short timeout, so a
 * throttled, refused or stalled call is reported at once instead of retried. Injected clients are used as they are.
 */
function probeClient(config: ApiConfig, parts: RuntimeParts): { get: () => DynamoDBClient; destroy: () => void } {
  let own: DynamoDBClient | undefined;
  return {
    get: () =>
      parts.clients?.client ??
      (own ??= createDynamoDbClients({
        region: config.region,
        requestTimeoutMs: 1000,
        maxAttempts: 1,
        ...(config.dynamodbEndpoint !== undefined ? { endpoint: config.dynamodbEndpoint } : {}),
      }).client),
    destroy: () => own?.destroy(),
  };
}
