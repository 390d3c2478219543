import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigError, readConfig, type ApiConfig } from './config';
import { mintApiKey } from './domain/mint-api-key';
import { startSupervisedEngine, type EngineStatus, type SupervisedEngine } from '../../engine/src/engine-supervisor';
import type { ComponentHealth } from './health/health-check';
import { createLogger } from './observability/logger';
import type { Runtime } from './runtime';
import { closeGracefully, createHttpServer } from './http/http-server';
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
  /** The supervised embedded engine; absent when `DYNAMODB_ENDPOINT` is set. */
  engine: SupervisedEngine | undefined;
  /** Stops accepting, lets in-flight requests finish against the running engine, then closes the engine. */
  close(): Promise<void>;
}

export interface LocalServerOptions {
  /** Called once if the embedded engine exited and every restart attempt failed. */
  onEngineFailed?: (error: Error) => void;
}

/** Starts the API on one machine: the embedded engine unless `DYNAMODB_ENDPOINT` is set, tables, a development key. */
export async function startLocalServer(
  config: ApiConfig,
  logger: Logger,
  options: LocalServerOptions = {},
): Promise<LocalServer> {
  // A restarted engine is prepared with the runtime's clients, which need the first engine's endpoint.
  let prepareRestarted: (() => Promise<void>) | undefined;
  const engine =
    config.dynamodbEndpoint === undefined
      ? await startSupervisedEngine({
          engine: { port: config.dynamodbPort, ...(config.dataDir !== undefined ? { dataDir: config.dataDir } : {}) },
          logger,
          onRestart: () => prepareRestarted?.() ?? Promise.resolve(),
          ...(options.onEngineFailed ? { onGiveUp: options.onEngineFailed } : {}),
        })
      : undefined;
  const endpoint = config.dynamodbEndpoint ?? engine?.endpoint ?? '';
  const runtime = createServerRuntime(
    { ...config, dynamodbEndpoint: endpoint },
    logger,
    engine ? { engineHealth: () => engineHealth(engine.status()) } : {},
  );
  try {
    await ensureTables(runtime.clients.client, runtime.clients.doc, config.tables);
    const devApiKey = await mintApiKey(runtime.apiKeys, {
      tenantId: config.devTenant,
      name: 'development',
      ...(config.devApiKey !== undefined ? { key: config.devApiKey } : {}),
    });
    prepareRestarted = () => prepareRestartedEngine(runtime, config, devApiKey, logger);
    const server = createHttpServer(runtime.app, logger, {
      ...(runtime.admission ? { admission: { limit: runtime.admission, metrics: runtime.metrics } } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        // An engine that dies now stays down: shutdown does not race a restart.
        engine?.stopRestarting();
        await closeGracefully(server, SHUTDOWN_GRACE_MS);
        await runtime.metrics.close();
        // The engine first: a restart under way finishes (or is abandoned) while its clients still work.
        await engine?.close();
        runtime.destroyClients();
      })());

    return { url: `http://${config.host}:${port}`, dynamodbEndpoint: endpoint, devApiKey, server, engine, close };
  } catch (error) {
    await engine?.close();
    runtime.destroyClients();
    throw error;
  }
}

/** The supervisor's state as a health check: healthy only while the engine runs. */
function engineHealth(status: EngineStatus): ComponentHealth {
  return {
    healthy: status.state === 'running',
    state: status.state,
    ...(status.reason !== undefined ? { reason: status.reason } : {}),
  };
}

/**
 * Readies a restarted engine before it serves: on disk the tables are intact (ensured all the same); in
 * memory everything is gone, so the tables are created and the development key minted again, loudly.
 */
async function prepareRestartedEngine(
  runtime: Runtime,
  config: ApiConfig,
  devApiKey: string,
  logger: Logger,
): Promise<void> {
  const { created } = await ensureTables(runtime.clients.client, runtime.clients.doc, config.tables);
  if (config.dataDir !== undefined) return;
  await mintApiKey(runtime.apiKeys, { tenantId: config.devTenant, name: 'development', key: devApiKey });
  logger.error(
    { component: 'embedded-engine', tables_created: created, dev_tenant: config.devTenant },
    'The restarted embedded DynamoDB engine is empty: it ran in memory, so every event and API key stored before it exited is lost. ' +
      'The tables were created again and the development key minted again; set DATA_DIR to keep data across engine restarts',
  );
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

  // Until the server is up there is nothing to drain: an engine that cannot be restarted just ends the process.
  let shutdown = (_reason: Record<string, unknown>, exitCode: number): void => process.exit(exitCode);
  const local = await startLocalServer(config, logger, {
    onEngineFailed: () => shutdown({ reason: 'the embedded DynamoDB engine could not be restarted' }, 1),
  });
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
  if (local.engine) {
    logger.info({ engine_pid: local.engine.pid(), port: local.engine.port }, 'Embedded DynamoDB engine running');
  }

  // One shutdown, whatever asks for it: a signal often arrives twice (to the process group and forwarded by npm).
  let stopping = false;
  shutdown = (reason, exitCode) => {
    if (stopping) return;
    stopping = true;
    if (exitCode !== 0) process.exitCode = exitCode;
    logger.info(reason, 'Shutting down: finishing in-flight requests, then stopping the engine');
    local.close().then(
      () => {
        logger.info('Stopped');
        logger.flush();
        process.exit(process.exitCode ?? 0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => shutdown({ signal }, 0);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
