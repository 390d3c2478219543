import { Agent } from 'node:http';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoDbClientOptions {
  /** A DynamoDB-compatible endpoint (the embedded engine); AWS's regional endpoint when absent. */
  endpoint?: string;
  region: string;
  /** Milliseconds to wait for a response before the call counts as failed. */
  requestTimeoutMs?: number;
  maxAttempts?: number;
}

export interface DynamoDbClients {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

/** SDK clients tuned for an API: keep-alive sockets, bounded timeouts and retries so faults surface as 503s quickly. */
export function createDynamoDbClients(options: DynamoDbClientOptions): DynamoDbClients {
  const local = options.endpoint !== undefined;
  const config: DynamoDBClientConfig = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: 1000,
      requestTimeout: options.requestTimeoutMs ?? 3000,
      // Without it the handler only warns when the timeout passes, and a stalled call hangs.
      throwOnRequestTimeout: true,
      // The embedded engine speaks plain HTTP on loopback.
      ...(local ? { httpAgent: new Agent({ keepAlive: true, maxSockets: 128 }) } : {}),
    },
    ...(local ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  };
  const client = new DynamoDBClient(config);
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { client, doc };
}
