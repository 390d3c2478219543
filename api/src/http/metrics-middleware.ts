import { performance } from 'node:perf_hooks';
import type { Context, Next } from 'koa';
import { API_ENDPOINTS, endpointName } from '../../../contract/metrics';
import type { MetricsRecorder } from '../observability/metrics';
import { requestState } from './request-context';

const API_ENDPOINT_NAMES: ReadonlySet<string> = new Set(API_ENDPOINTS);

/**
 * Records one observation per API request. Only the API's own routes count: probes of unknown paths
 * and the local dashboard's polling are not API traffic.
 */
export function metricsMiddleware(recorder: MetricsRecorder) {
  return async function recordMetrics(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } finally {
      const { log } = requestState(ctx);
      // HEAD is served by the GET route: it counts as that endpoint.
      const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
      const endpoint = log.endpoint === undefined ? undefined : endpointName(method, log.endpoint);
      if (endpoint !== undefined && API_ENDPOINT_NAMES.has(endpoint)) {
        recorder.recordRequest({
          endpoint,
          statusCode: ctx.status,
          durationMs: performance.now() - started,
          ...(log.error_type !== undefined ? { errorType: log.error_type } : {}),
        });
      }
    }
  };
}
