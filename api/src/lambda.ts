import { randomUUID } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from 'pino';
import serverless from 'serverless-http';
import { ConfigError, readConfig, type ApiConfig } from './config';
import { InboxCursorCodec, type InboxCursors } from './domain/inbox-cursor';
import { ApiError, InternalError, ValidationError } from './errors';
import { errorBody } from './http/error-middleware';
import { httpApiEventProblem } from './http/lambda-event';
import { createLogger } from './observability/logger';
import { metricNamespace } from '../../contract/metrics';
import { EmfSink } from './observability/metrics/emf-sink';
import type { MetricsSink } from './observability/metrics/metrics-sink';
import { createRuntime } from './runtime';
import { secretsManagerCursors } from './secrets/secrets-manager-cursors';
import { packageVersion } from './version';

/** The API Gateway HTTP API (payload v2) handler. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Builds the API Gateway (HTTP API, payload v2) handler around the same Koa app the local server runs.
 * Only Lambda's parts are built (and bundled): EMF metrics, cursors keyed from Secrets Manager.
 */
export function createLambdaHandler(env: Record<string, string | undefined> = process.env): LambdaHandler {
  // A bundle has no package.json beside it: the stack passes the version in.
  const config = readConfig(env, env.APP_VERSION ?? packageVersion());
  const logger = createLogger({ level: config.logLevel, format: 'json' });
  const runtime = createRuntime(config, logger, {
    sink: lambdaSink(config, env, logger),
    cursors: lambdaCursors(config, env, logger),
  });
  const serve = serverless(runtime.app);
  return async (event, context) => {
    const problem = httpApiEventProblem(event);
    if (problem !== undefined) {
      logger.warn({ problem, aws_request_id: context.awsRequestId }, 'Malformed invocation event');
      return errorResult(new ValidationError(`Malformed API Gateway event: ${problem}`));
    }
    try {
      return await serve(event as object, context);
    } catch (error) {
      // The app answers its own errors; this is a failure of the adapter around it.
      logger.error({ err: error, aws_request_id: context.awsRequestId }, 'Invocation failed');
      return errorResult(new InternalError('Internal server error'));
    } finally {
      // EMF lines are printed before the invocation ends: no API calls on the request path.
      await runtime.metrics.flush();
    }
  };
}

/**
 * EMF on stdout (the default) or nothing; the other sinks belong to long-running processes. Built here rather
 * than through `createMetricsSink`, which would pull every sink (prom-client, the CloudWatch client) into the bundle.
 */
function lambdaSink(
  config: ApiConfig,
  env: Record<string, string | undefined>,
  logger: Logger,
): MetricsSink | undefined {
  if (config.metricsSink === 'none') return undefined;
  if (env.METRICS_SINK !== undefined && config.metricsSink !== 'emf') {
    // PutMetricData would hold every response until it is sent; /metrics has no scraper in Lambda.
    throw new ConfigError(`METRICS_SINK=${config.metricsSink} is for long-running processes; use emf in Lambda`);
  }
  return new EmfSink({
    namespace: metricNamespace(config.stage),
    onWarning: (message) => logger.warn(message),
  });
}

/**
 * Cursors keyed by the secret `CURSOR_SECRET_ARN` names (read on first use, re-read every few minutes so a
 * rotation reaches every instance), or by `CURSOR_SECRET` (and `CURSOR_SECRET_PREVIOUS`) itself.
 */
function lambdaCursors(config: ApiConfig, env: Record<string, string | undefined>, logger: Logger): InboxCursors {
  if (config.cursorSecretArn !== undefined) {
    // Read on the first inbox request, not at start: most containers only ingest and never need it.
    let client: SecretsManagerClient | undefined;
    return secretsManagerCursors({
      client: () =>
        (client ??= new SecretsManagerClient({
          region: config.region,
          maxAttempts: 2,
          requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
        })),
      secretId: config.cursorSecretArn,
      logger,
    });
  }
  if (config.cursorSecretGenerated && env.AWS_LAMBDA_FUNCTION_NAME) {
    // Each Lambda instance would sign with its own secret and reject the others' cursors.
    throw new ConfigError('CURSOR_SECRET_ARN (or CURSOR_SECRET) must be set in Lambda');
  }
  const codec = new InboxCursorCodec({ current: config.cursorSecret, previous: config.cursorSecretPrevious });
  return () => Promise.resolve(codec);
}

function errorResult(error: ApiError): APIGatewayProxyStructuredResultV2 {
  const requestId = randomUUID();
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId },
    body: JSON.stringify(errorBody(error, requestId)),
  };
}

let handlerInstance: LambdaHandler | undefined;

/** Lambda entry point; the app is built once per execution environment. */
export const handler: LambdaHandler = (event, context) => {
  handlerInstance ??= createLambdaHandler();
  return handlerInstance(event, context);
};
