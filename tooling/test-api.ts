import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import type { Logger } from 'pino';
import { readConfig, type ApiConfig } from '../api/src/config';
import { mintApiKey } from '../api/src/domain/mint-api-key';
import { createHttpServer } from '../api/src/http/http-server';
import { startEmbeddedEngine, type EmbeddedEngine } from '../engine/src/embedded-engine';
import { createLogger } from '../api/src/observability/logger';
import { createServerRuntime, type ServerRuntime } from '../api/src/server-runtime';
import { createDynamoDbClients } from '../platform/dynamodb-client';
import { DynamoDbApiKeyStore } from '../api/src/store/dynamodb-api-key-store';
import { ensureTables } from '../api/src/store/ensure-tables';

export interface TestApi {
  url: string;
  engine: EmbeddedEngine;
  runtime: ServerRuntime;
  config: ApiConfig;
  /** API keys of two tenants, for isolation tests. */
  keys: { acme: string; globex: string };
  request(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<TestResponse>;
  /** Every item of the events table, to prove a rejected request changed nothing. */
  scanEvents(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  // Tests assert on parsed JSON bodies field by field, as the test folders' lint settings allow.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface TestApiOptions {
  /** Start from a pre-migration events table without `event-id-index`. */
  legacy?: boolean;
  env?: Record<string, string>;
  /** Point the app at this endpoint instead of the engine (a fault proxy in front of it). */
  endpointOverride?: (engineEndpoint: string) => Promise<string> | string;
  /** Logger of the app (silent by default). */
  logger?: Logger;
}

/** Starts the embedded engine and the real app on ephemeral loopback ports, with two tenants' keys. */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const engine = await startEmbeddedEngine({ port: 0, mode: 'in-process' });
  const endpoint = options.endpointOverride ? await options.endpointOverride(engine.endpoint) : engine.endpoint;
  const config = readConfig({
    DYNAMODB_ENDPOINT: endpoint,
    CURSOR_SECRET: 'test-cursor-secret-0123456789',
    LOG_LEVEL: 'silent',
    // Tests seed through the API in bursts, against an engine in this very process: shedding those would
    // fail the setup, not the API. Admission control has tests of its own, which turn it on.
    ADMISSION_CONTROL: 'off',
    // Fault tests aim at the call each path makes (PutItem for a single event); write coalescing turns
    // single events into BatchWriteItem calls and has tests of its own, which turn it on.
    WRITE_COALESCING: 'off',
    ...options.env,
  });
  // Tables are set up directly on the engine, so a fault proxy cannot get in the way.
  const admin = createDynamoDbClients({ region: config.region, endpoint: engine.endpoint });
  await ensureTables(admin.client, admin.doc, config.tables, { legacy: options.legacy ?? false });
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const runtime = createServerRuntime(config, logger);
  const keyStore = new DynamoDbApiKeyStore(admin.doc, config.tables.apiKeys);
  const keys = {
    acme: await mintApiKey(keyStore, { tenantId: 'acme', name: 'test' }),
    globex: await mintApiKey(keyStore, { tenantId: 'globex', name: 'test' }),
  };
  const server: Server = createHttpServer(runtime.app, logger, {
    ...(runtime.admission ? { admission: { limit: runtime.admission, metrics: runtime.metrics } } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    engine,
    runtime,
    config,
    keys,
    async request(path, init = {}) {
      const { key, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set('x-api-key', key ?? keys.acme);
      if (json !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      const response = await fetch(url + path, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: typeof json === 'string' ? json : JSON.stringify(json) } : {}),
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers, text, body };
    },
    async scanEvents() {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await admin.doc.send(
          new ScanCommand({ TableName: config.tables.events, ExclusiveStartKey: startKey, ConsistentRead: true }),
        );
        items.push(...((page.Items ?? []) as Record<string, unknown>[]));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items.filter((item) => item.tenant_id !== '#control');
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      runtime.destroyClients();
      admin.client.destroy();
      await engine.close();
    },
  };
}

/** A valid create-event body, with overrides. */
export function eventBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { source: 'billing', event_type: 'invoice.paid', payload: { invoice: 'inv_1', amount: 42 }, ...overrides };
}

/** The test API with a fault proxy between the app and the engine; closing the API closes the proxy. */
export async function startTestApiBehindProxy(
  options: Omit<TestApiOptions, 'endpointOverride'> = {},
): Promise<TestApi & { proxy: FaultProxy }> {
  let proxy: FaultProxy | undefined;
  const api = await startTestApi({
    ...options,
    endpointOverride: async (engine) => {
      proxy = await startFaultProxy(engine);
      return proxy.endpoint;
    },
  });
  if (!proxy) throw new Error('the fault proxy did not start');
  const started = proxy;
  return {
    ...api,
    proxy: started,
    async close() {
      await api.close();
      await started.close();
    },
  };
}
