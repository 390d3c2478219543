import type Koa from 'koa';
import type { Logger } from 'pino';
import { createApp } from './app';
import { addToLogContext } from './observability/log-context';
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
  const eventIdIndex = new EventIdIndexStatus(
    () => readEventIdIndexState(db.client, db.doc, config.tables.events),
    config.eventIdIndexRefreshMs,
  );
  const store = new DynamoDbEventStore({
    doc: db.doc,
    tableName: config.tables.events,
    eventIdIndex,
    onLookup: (method) => addToLogContext({ lookup_method: method }),
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
    authenticator: new ApiKeyAuthenticator(apiKeys, config.authCacheTtlMs),
    cursors: new InboxCursorCodec(config.cursorSecret),
    logger,
    version: config.version,
  });
  return { app, clients: db, service, apiKeys, eventIdIndex };
}
