import type Router from '@koa/router';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Logger } from 'pino';
import { SLO_SPEC } from '../../contract/slo-spec';
import type { ApiConfig } from './config';
import { dashboardRoutes } from './dashboard';
import { InboxCursorCodec } from './domain/inbox-cursor';
import type { ComponentHealth } from './health/health-check';
import { prometheusRoute } from './http/routes/prometheus';
import { runWithoutLogContext } from './observability/log-context';
import { createMetricsSink, PrometheusSink, type MetricsRecorder, type MetricsSink } from './observability/metrics';
import { AdaptiveConcurrencyLimit } from './http/admission-control';
import { createRuntime, type Runtime } from './runtime';
import type { DynamoDbClients } from '../../platform/dynamodb-client';

/**
 * The runtime with what only a long-running server has: the limit its HTTP server sheds API requests past
 * (`ADMISSION_CONTROL`; none when off). A Lambda instance serves one request at a time and builds none.
 */
export interface ServerRuntime extends Runtime {
  admission: AdaptiveConcurrencyLimit | undefined;
}

export interface ServerRuntimeParts {
  /** DynamoDB clients to use instead of ones built from the configuration. */
  clients?: DynamoDbClients;
  /** The supervised embedded engine's state, reported by `/v1/health`. */
  engineHealth?: () => ComponentHealth;
}

/**
 * The runtime of a long-running process (`npm start`, tests): metrics to the sink `METRICS_SINK` names,
 * cursors signed with `CURSOR_SECRET` (and `CURSOR_SECRET_PREVIOUS` still accepted), and the local pages (live dashboard, `/metrics`).
 */
export function createServerRuntime(config: ApiConfig, logger: Logger, parts: ServerRuntimeParts = {}): ServerRuntime {
  const { clients, engineHealth } = parts;
  const sink = createSink(config, logger);
  const codec = new InboxCursorCodec({ current: config.cursorSecret, previous: config.cursorSecretPrevious });
  const runtime = createRuntime(config, logger, {
    sink,
    metricsFlushIntervalMs: 60_000,
    cursors: () => Promise.resolve(codec),
    coalesceWrites: config.writeCoalescing,
    ...(config.localPages ? { localRoutes: (router, metrics) => mountLocalPages(router, metrics, sink) } : {}),
    ...(clients ? { clients } : {}),
    ...(engineHealth ? { engineHealth } : {}),
  });
  const admission = config.admission.enabled
    ? new AdaptiveConcurrencyLimit({
        minLimit: config.admission.minLimit,
        maxLimit: config.admission.maxLimit,
        targetMs: config.admission.targetMs,
      })
    : undefined;
  return { ...runtime, admission };
}

/** The live dashboard (thresholds from the SLO spec) and, with the Prometheus sink, `GET /metrics`. */
function mountLocalPages(router: Router, metrics: MetricsRecorder, sink: MetricsSink | undefined): void {
  dashboardRoutes(router, { snapshot: () => metrics.snapshot(), slo: SLO_SPEC });
  if (sink instanceof PrometheusSink) prometheusRoute(router, metrics, sink);
}

/** The sink `METRICS_SINK` names (the one place a server chooses it); the recorder hands it each minute as it ends. */
function createSink(config: ApiConfig, logger: Logger): MetricsSink | undefined {
  const onWarning = (message: string, detail: Record<string, unknown>): void =>
    runWithoutLogContext(() => logger.warn(detail, message));
  return createMetricsSink(config.metricsSink, {
    stage: config.stage,
    cloudWatchClient: () => new CloudWatchClient({ region: config.region, maxAttempts: 1 }),
    onWarning,
    collectDefaultMetrics: false,
  });
}
