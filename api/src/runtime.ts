import type Koa from 'koa';
import type { Logger } from 'pino';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SLO_SPEC } from '../../monitoring/slo-spec';
import { createApp } from './app';
import { API_ENDPOINTS } from './observability/metric-definitions';
import { createMetricsSink, MetricsRecorder, PrometheusSink, type MetricsSink } from './observability/metrics';
import { addToLogContext, runWithoutLogContext } from './observability/log-context';
import type { ApiConfig } from './config';
import { ApiKeyAuthenticator } from './domain/authenticator';
import { EventService } from './domain/event-service';
import { InboxCursorCodec } from './domain/inbox-cursor';
import { createDynamoDbClients, type DynamoDbClients } from './store/dynamodb-client';
import { DynamoDbApiKeyStore } from './store/dynamodb-api-key-store';
import { DynamoDbEventStore } from './store/dynamodb-event-store';
import { EventIdIndexStatus, readEventIdIndexState } from './store/event-id-index-control';

export interface Runtime {
  app: Koa;
  metrics: MetricsRecorder;
  clients: DynamoDbClients;
  service: EventService;
  apiKeys: DynamoDbApiKeyStore;
  eventIdIndex: EventIdIndexStatus;
}

/** Wires the app from its configuration: the one composition root shared by the server, Lambda and tests. */
export function createRuntime(config: ApiConfig, logger: Logger, clients?: DynamoDbClients): Runtime {
  const db =
    clients ??
    createDynamoDbClients({
      region: config.region,
      requestTimeoutMs: config.dynamodbTimeoutMs,
      ...(config.dynamodbEndpoint !== undefined ? { endpoint: config.dynamodbEndpoint } : {}),
    });
  const sink = createSink(config, logger);
  const metrics = new MetricsRecorder({
    sinks: [sink],
    knownEndpoints: API_ENDPOINTS,
    onSinkError: (error) => runWithoutLogContext(() => logger.warn({ err: error }, 'A metrics sink failed')),
  });
  const eventIdIndex = new EventIdIndexStatus(
    () => readEventIdIndexState(db.client, db.doc, config.tables.events),
    config.eventIdIndexRefreshMs,
  );
  const store = new DynamoDbEventStore({
    doc: db.doc,
    tableName: config.tables.events,
    eventIdIndex,
    onLookup: (method) => {
      addToLogContext({ lookup_method: method });
      metrics.recordLookup(method);
    },
    logger,
  });
  const service = new EventService({
    store,
    retentionSeconds: config.retentionSeconds,
    idempotencySeconds: config.idempotencySeconds,
  });
  const apiKeys = new DynamoDbApiKeyStore(db.doc, config.tables.apiKeys);
  const app = createApp({
    service,
    metrics,
    ...(config.localPages
      ? { localPages: { slo: SLO_SPEC, ...(sink instanceof PrometheusSink ? { prometheus: sink } : {}) } }
      : {}),
    authenticator: new ApiKeyAuthenticator(apiKeys, config.authCacheTtlMs),
    cursors: new InboxCursorCodec(config.cursorSecret),
    logger,
    version: config.version,
  });
  return { app, metrics, clients: db, service, apiKeys, eventIdIndex };
}

/** The sink `METRICS_SINK` names; long-running processes send or print every minute. */
function createSink(config: ApiConfig, logger: Logger): MetricsSink {
  const onWarning = (message: string, detail: Record<string, unknown>): void =>
    runWithoutLogContext(() => logger.warn(detail, message));
  switch (config.metricsSink) {
    case 'cloudwatch':
      return createMetricsSink('cloudwatch', {
        stage: config.stage,
        cloudWatchClient: new CloudWatchClient({ region: config.region, maxAttempts: 1 }),
        onWarning,
      });
    case 'emf':
      // In Lambda the handler flushes after each invocation; elsewhere, once a minute.
      return createMetricsSink('emf', {
        stage: config.stage,
        ...(config.localPages ? { flushIntervalMs: 60_000 } : {}),
      });
    case 'prometheus':
      return createMetricsSink('prometheus', { stage: config.stage, collectDefaultMetrics: false });
    case 'none':
      return createMetricsSink('none', { stage: config.stage });
  }
}
