import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigError, readConfig, type ApiConfig } from './config';
import { mintApiKey } from './domain/mint-api-key';
import { startEmbeddedEngine, type EmbeddedEngine } from './engine/embedded-engine';
import { createLogger } from './observability/logger';
import { createServerRuntime } from './server-runtime';
import { ensureTables } from './store/ensure-tables';
import { packageVersion } from './version';

/** How long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface LocalServer {
  url: string;
  dynamodbEndpoint: string;
  devApiKey: string;
  server: Server;
  /** Stops accepting, lets in-flight requests finish, then closes the engine. */
  close(): Promise<void>;
}

/** Starts the API on one machine: the embedded engine unless `DYNAMODB_ENDPOINT` is set, tables, a development key. */
export async function startLocalServer(config: ApiConfig, logger: Logger): Promise<LocalServer> {
  const engine: EmbeddedEngine | undefined =
    config.dynamodbEndpoint === undefined
      ? await startEmbeddedEngine({
          port: config.dynamodbPort,
          ...(config.dataDir !== undefined ? { dataDir: config.dataDir } : {}),
        })
      : undefined;
  const endpoint = config.dynamodbEndpoint ?? engine?.endpoint ?? '';
  const runtime = createServerRuntime({ ...config, dynamodbEndpoint: endpoint }, logger);
  try {
    await ensureTables(runtime.clients.client, runtime.clients.doc, config.tables);
    const devApiKey = await mintApiKey(runtime.apiKeys, {
      tenantId: config.devTenant,
      name: 'development',
      ...(config.devApiKey !== undefined ? { key: config.devApiKey } : {}),
    });
    const server = createServer(runtime.app.callback());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        await drained;
        clearTimeout(force);
        await runtime.metrics.close();
        runtime.clients.client.destroy();
        await engine?.close();
      })());

    return { url: `http://${config.host}:${port}`, dynamodbEndpoint: endpoint, devApiKey, server, close };
  } catch (error) {
    runtime.clients.client.destroy();
    await engine?.close();
    throw error;
  }
}

async function main(): Promise<void> {
  let config: ApiConfig;
  try {
    config = readConfig(process.env, packageVersion());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, buffered: true });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'Unhandled promise rejection');
    process.exitCode = 1;
  });

  const local = await startLocalServer(config, logger);
  const lines = [
    `Triggers API listening on ${local.url}`,
    `DynamoDB endpoint: ${local.dynamodbEndpoint}${config.dynamodbEndpoint ? '' : ` (embedded, ${config.dataDir ? `data in ${config.dataDir}` : 'in memory'})`}`,
    `Development API key (tenant '${config.devTenant}'): ${local.devApiKey}`,
    `Try: curl -s ${local.url}/v1/health`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (config.cursorSecretGenerated) {
    logger.warn('CURSOR_SECRET is not set: inbox cursors are signed with a random secret and expire with this process');
  }

  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'Shutting down: finishing in-flight requests');
    local.close().then(
      () => {
        logger.info('Stopped');
        logger.flush();
        process.exit(process.exitCode ?? 0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
