import serverless from 'serverless-http';
import { ConfigError, readConfig } from './config';
import { createLogger } from './observability/logger';
import { createRuntime } from './runtime';
import { packageVersion } from './version';

type Handler = ReturnType<typeof serverless>;

/** Builds the API Gateway (HTTP API, payload v2) handler around the same Koa app the local server runs. */
export function createLambdaHandler(env: Record<string, string | undefined> = process.env): Handler {
  // A bundle has no package.json beside it: the stack passes the version in.
  const config = readConfig(env, env.APP_VERSION ?? packageVersion());
  if (config.cursorSecretGenerated && env.AWS_LAMBDA_FUNCTION_NAME) {
    // Each Lambda instance would sign with its own secret and reject the others' cursors.
    throw new Error('CURSOR_SECRET must be set in Lambda');
  }
  if (config.metricsSink === 'cloudwatch' && env.AWS_LAMBDA_FUNCTION_NAME) {
    // The handler flushes metrics before it returns: PutMetricData would hold every response.
    throw new ConfigError('METRICS_SINK=cloudwatch is for long-running processes; use emf in Lambda');
  }
  const runtime = createRuntime(config, createLogger({ level: config.logLevel, format: 'json' }));
  const serve = serverless(runtime.app);
  return async (event, context) => {
    const result = await serve(event, context);
    // EMF lines are printed before the invocation ends: no API calls on the request path.
    await runtime.metrics.flush();
    return result;
  };
}

let handlerInstance: Handler | undefined;

/** Lambda entry point; the app is built once per execution environment. */
export const handler: Handler = (event, context) => {
  handlerInstance ??= createLambdaHandler();
  return handlerInstance(event, context);
};
